"""The incentive rules: the list (how the resolver ranks them), and a rule's create and edit
forms. A rule change never alters approved registrations: they keep the incentive locked in
at approval."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from deals import selectors, services
from deals.forms import IncentiveRuleForm
from deals.incentives import SPECIFICITY_LABELS, rule_specificity
from deals.models import IncentiveRule
from partners.access import StaffRequiredMixin

NAV = "deal_rules"
PAGE_SIZE = 50


class IncentiveRuleListView(StaffRequiredMixin, View):
    """Every rule with who it is for, its band and what it gives (two queries a page)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        page = Paginator(selectors.incentive_rule_list(), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        for rule in page.object_list:
            rule.specificity_label = SPECIFICITY_LABELS[rule_specificity(rule)]
        return render(request, "deals/rules.html", {"nav": NAV, "page_obj": page})


class _RuleFormView(StaffRequiredMixin, View):
    template_name = "deals/rule_form.html"

    def _rule(self, pk: int | None) -> IncentiveRule | None:
        if pk is None:
            return None
        try:
            return selectors.incentive_rule_list().get(pk=pk)
        except IncentiveRule.DoesNotExist:
            raise Http404("No such incentive rule.") from None

    def _render(self, request, form, rule, status=200) -> HttpResponse:
        context: dict[str, Any] = {"nav": NAV, "form": form, "rule": rule}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = self._rule(pk)
        return self._render(request, IncentiveRuleForm(instance=rule), rule)

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponse:
        rule = self._rule(pk)
        form = IncentiveRuleForm(request.POST, instance=rule)
        if not form.is_valid():
            return self._render(request, form, self._rule(pk), status=400)
        data = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            if rule is None:
                saved = services.incentive_rule_create(data=data)
            else:
                saved = services.incentive_rule_update(rule=rule, data=data)
        except ValidationError as error:
            for name, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(name if name in form.fields else None, problem)
            return self._render(request, form, rule, status=400)
        verb = "saved" if rule else "created"
        messages.success(
            request,
            f"Incentive rule “{saved.name}” {verb}. Approved registrations keep the incentive "
            "they were approved with.",
        )
        return redirect("deals:rules")


class IncentiveRuleCreateView(_RuleFormView):
    pass


class IncentiveRuleUpdateView(_RuleFormView):
    pass
