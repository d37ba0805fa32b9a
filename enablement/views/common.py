"""Small helpers shared by the manager's enablement pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from enablement.forms import add_service_errors
from partners.access import StaffRequiredMixin

PAGE_SIZE = 25


def paginate(request: HttpRequest, queryset: QuerySet, *, per_page: int = PAGE_SIZE) -> Page:
    """The requested page (a bad or too high page number gives the nearest valid page)."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


class ServiceFormView(StaffRequiredMixin, View):
    """GET shows the form; POST validates it and hands `form.service_data()` to a service
    (`save`). A form error or a service's ValidationError re-renders the form with the errors
    next to their fields and status 400; success redirects with a message."""

    form_class: type[forms.Form]
    template_name: str
    nav: str = ""
    success_message = "Saved."

    def get_instance(self) -> Model | None:
        return None

    def save(self, form: forms.Form) -> Model:
        raise NotImplementedError

    def get_success_url(self, obj: Model) -> str:
        return obj.get_absolute_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"nav": self.nav, "object": self.instance, **kwargs}

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self.instance = None

    def _form(self, *args: Any) -> forms.Form:
        return self.form_class(*args, instance=self.instance)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.instance = self.get_instance()
        return render(request, self.template_name, self.get_context_data(form=self._form()))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.instance = self.get_instance()
        form = self._form(request.POST, request.FILES)
        if form.is_valid():
            try:
                obj = self.save(form)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, self.success_message.format(obj=obj))
                return redirect(self.get_success_url(obj))
        context = self.get_context_data(form=form)
        return render(request, self.template_name, context, status=400)
