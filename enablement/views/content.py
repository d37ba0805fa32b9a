"""The content library: list with filters, detail with audience and usage, create, edit and
delete (all through enablement.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from enablement import selectors, services
from enablement.forms import ContentFilterForm, ContentItemForm
from enablement.models import ContentItem
from enablement.views.common import ServiceFormView, paginate
from partners.access import StaffRequiredMixin

NAV = "content"


def _detail_url(item: ContentItem) -> str:
    return reverse("enablement:content-detail", args=[item.pk])


class ContentListView(StaffRequiredMixin, TemplateView):
    """Every content item (drafts and expired too), filtered by type, audience, status, tier,
    segment and a search; each row with its audience and usage."""

    template_name = "enablement/content_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = ContentFilterForm(self.request.GET or None)
        items = selectors.content_browse(**form.filters())
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "filter_form": form,
            "is_filtered": any(form.filters().values()),
            "page_obj": paginate(self.request, items),
        }


class ContentDetailView(StaffRequiredMixin, TemplateView):
    """One item: its source, who can see it (audience and reach), usage figures with a weekly
    chart, and the learning paths that use it."""

    template_name = "enablement/content_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        item = get_object_or_404(selectors.content_browse(), pk=kwargs["pk"])
        usage = selectors.content_usage(content=item)
        return {
            **super().get_context_data(**kwargs),
            "nav": NAV,
            "item": item,
            "usage": usage,
            "reach": selectors.content_reach(content=item),
            "steps": selectors.learning_step_list().filter(content=item).order_by("path__title"),
            "usage_chart": _usage_chart(usage["weekly"]),
        }


def _usage_chart(weekly: list[dict]) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {
            "labels": [row["week"].strftime("%d %b") for row in weekly],
            "datasets": [
                {
                    "label": "Views",
                    "data": [row["views"] for row in weekly],
                    "backgroundColor": "rgba(13, 110, 253, 0.75)",
                    "borderRadius": 4,
                },
                {
                    "label": "Downloads",
                    "data": [row["downloads"] for row in weekly],
                    "backgroundColor": "rgba(25, 135, 84, 0.75)",
                    "borderRadius": 4,
                },
            ],
        },
        "options": {
            "animation": False,
            "plugins": {"legend": {"position": "bottom"}},
            "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
        },
    }


class ContentCreateView(ServiceFormView):
    form_class = ContentItemForm
    template_name = "enablement/content_form.html"
    nav = NAV
    success_message = "“{obj}” was added to the library."

    def save(self, form: ContentItemForm) -> ContentItem:
        return services.content_create(data=form.service_data())

    def get_success_url(self, obj: ContentItem) -> str:
        return _detail_url(obj)


class ContentUpdateView(ContentCreateView):
    success_message = "“{obj}” was saved."

    def get_instance(self) -> ContentItem:
        return get_object_or_404(selectors.content_list(), pk=self.kwargs["pk"])

    def save(self, form: ContentItemForm) -> ContentItem:
        return services.content_update(content=self.instance, data=form.service_data())


class ContentDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST deletes (refused while a learning path uses it)."""

    template_name = "enablement/confirm_delete.html"

    def _context(self, item: ContentItem, **extra: Any) -> dict[str, Any]:
        paths = sorted(
            {step.path.title for step in selectors.learning_step_list().filter(content=item)}
        )
        consequences = [
            "Partners lose access to it at once; its usage history is kept without it.",
        ]
        if item.file:
            consequences.append(f"The stored file {item.file_name} is deleted.")
        if paths:
            consequences.append(
                f"Learning paths use it ({', '.join(paths)}): remove those steps first."
            )
        return {
            "nav": NAV,
            "object": item,
            "kind": "content item",
            "cancel_url": _detail_url(item),
            "consequences": consequences,
            **extra,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(selectors.content_list(), pk=pk)
        return render(request, self.template_name, self._context(item))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        item = get_object_or_404(selectors.content_list(), pk=pk)
        title = item.title
        try:
            services.content_delete(content=item)
        except ValidationError as error:
            context = self._context(item, errors=error.messages)
            return render(request, self.template_name, context, status=409)
        messages.success(request, f"“{title}” was deleted.")
        return redirect("enablement:content-list")
