"""The segment page and its actions: members, history, runs, explain, evaluate now,
static membership changes and delete."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from audit.selectors import history_page_rows, object_history
from partners.access import StaffRequiredMixin
from partners.models import Partner
from segments import selectors, services
from segments.forms import AsOfForm, StaticMembersForm
from segments.models import EvaluationStatus, EvaluationTrigger, Segment
from segments.rules import RuleError
from segments.views.display import RuleDescriber

TABS = {
    "members": "Members",
    "events": "Joins & leaves",
    "runs": "Evaluation runs",
    "explain": "Explain",
    "history": "History",
}
PAGE_SIZE = 25
HISTORY_DAYS = 90


def _segment(pk: int) -> Segment:
    return get_object_or_404(Segment.objects.select_related("owner"), pk=pk)


def size_chart(points: list[dict]) -> dict:
    """A Chart.js line chart of the segment's size per day."""
    return {
        "type": "line",
        "data": {
            "labels": [point["date"].strftime("%b %d") for point in points],
            "datasets": [
                {
                    "label": "Members",
                    "data": [point["members"] for point in points],
                    "borderColor": "#0d6efd",
                    "backgroundColor": "rgba(13, 110, 253, 0.12)",
                    "fill": True,
                    "tension": 0.25,
                    "pointRadius": 3 if len(points) < 15 else 0,
                    "pointHoverRadius": 4,
                    "borderWidth": 2,
                }
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "interaction": {"mode": "index", "intersect": False},
            "scales": {
                "x": {"grid": {"display": False}, "ticks": {"maxTicksLimit": 8}},
                "y": {"beginAtZero": True, "ticks": {"precision": 0}},
            },
        },
    }


def detail_context(request, segment: Segment, members_form: StaticMembersForm | None = None):
    """Everything the segment page shows; the active tab's list is paginated."""
    tab = request.GET.get("tab", "members")
    tab = tab if tab in TABS else "members"
    history = selectors.segment_size_history(segment=segment, days=HISTORY_DAYS)
    runs = selectors.segment_runs(segment=segment)
    last_run = runs.first()
    context = {
        "nav": "segments",
        "segment": segment,
        "tab": tab,
        "tabs": TABS,
        "chart": size_chart(history),
        "history_change": history[-1]["members"] - history[0]["members"] if history else 0,
        "history_days": len(history),
        "last_run": last_run,
        "rule_tree": RuleDescriber().describe(segment.rule) if segment.rule else None,
        "depends_on": list(segment.depends_on.order_by("name")),
        "dependents": list(segment.dependents.order_by("name")),
        "members_form": members_form or StaticMembersForm(),
    }
    page_number = request.GET.get("page")
    if tab == "members":
        context["evaluating"] = selectors.segment_evaluation_pending(segment=segment)
        as_of_form = AsOfForm(request.GET or None)
        context["as_of_form"] = as_of_form
        if as_of_form.is_valid() and as_of_form.cleaned_data["as_of"]:
            context["as_of"] = as_of_form.cleaned_data["as_of"]
            moment = timezone.make_aware(dt.datetime.combine(context["as_of"], dt.time.max))
            members = selectors.segment_members_as_of(segment=segment, at=moment)
        else:
            members = selectors.segment_members(segment=segment).order_by("name", "id")
        context["page_obj"] = Paginator(members, PAGE_SIZE).get_page(page_number)
    elif tab == "events":
        events = selectors.segment_events(segment=segment)
        context["page_obj"] = Paginator(events, PAGE_SIZE).get_page(page_number)
        for event in context["page_obj"]:  # one page: the runs are prefetched
            event.cause = selectors.membership_event_cause(event)
    elif tab == "runs":
        context["page_obj"] = Paginator(runs, PAGE_SIZE).get_page(page_number)
    elif tab == "history":
        # Changes of the definition (name, rule, kind, active…): who, when, old → new.
        changes = object_history(model=Segment, object_id=segment.pk)
        context["page_obj"] = Paginator(changes, PAGE_SIZE).get_page(page_number)
        context["rows"] = history_page_rows(page=context["page_obj"], model=Segment)
    return context


class SegmentDetailView(StaffRequiredMixin, View):
    def get(self, request, pk: int):
        segment = _segment(pk)
        context = detail_context(request, segment)
        as_of_form = context.get("as_of_form")
        status = 400 if as_of_form is not None and as_of_form.errors else 200
        return render(request, "segments/detail.html", context, status=status)


class SegmentMembersLiveView(StaffRequiredMixin, View):
    """GET: the Members tab's list (fragment). While the segment's current rule is being
    evaluated it says so and polls itself; when the run ends it brings the members (and the
    member count, out of band) and stops polling."""

    def get(self, request, pk: int):
        segment = _segment(pk)
        members = selectors.segment_members(segment=segment).order_by("name", "id")
        context = {
            "segment": segment,
            "evaluating": selectors.segment_evaluation_pending(segment=segment),
            "page_obj": Paginator(members, PAGE_SIZE).get_page(request.GET.get("page")),
            "live": True,
        }
        return render(request, "segments/_members.html", context)


class SegmentEvaluateView(StaffRequiredMixin, View):
    """POST: evaluate a dynamic segment now and report the run."""

    def post(self, request, pk: int):
        segment = _segment(pk)
        target = reverse("segments:detail", args=[segment.pk]) + "?tab=runs"
        if not segment.is_dynamic:
            messages.error(request, "A static segment has no rule to evaluate.")
            return redirect(target)
        run = services.segment_evaluate(segment_id=segment.pk, trigger=EvaluationTrigger.MANUAL)
        if run.status == EvaluationStatus.SUCCEEDED:
            messages.success(
                request,
                f"Evaluated in {run.duration_ms} ms: {run.matched} members, "
                f"{run.joined} joined, {run.left} left.",
            )
        elif run.status == EvaluationStatus.STALE:
            messages.warning(request, "The segment changed during the run; evaluate again.")
        else:
            messages.error(request, f"The evaluation failed: {run.error}")
        return redirect(target)


class SegmentMembersChangeView(StaffRequiredMixin, View):
    """POST (static segments): add, remove or set members by external_id or CSV."""

    def post(self, request, pk: int):
        segment = _segment(pk)
        form = StaticMembersForm(request.POST, request.FILES)
        if form.is_valid():
            action, ids = form.cleaned_data["action"], form.cleaned_data["ids"]
            try:
                if action == StaticMembersForm.REPLACE:
                    result = services.segment_members_set_from_external_ids(
                        segment=segment, external_ids=ids, replace=True
                    )
                    summary = f"{result['joined']} joined, {result['left']} left"
                else:
                    changed = services.segment_members_change(
                        segment=segment,
                        external_ids=ids,
                        remove=action == StaticMembersForm.REMOVE,
                    )
                    verb = "removed" if action == StaticMembersForm.REMOVE else "added"
                    summary = f"{len(changed)} partner{'s' if len(changed) != 1 else ''} {verb}"
            except ValidationError as error:
                for message in error.messages[:20]:
                    form.add_error("external_ids", message)
            else:
                messages.success(request, f"Members updated: {summary}.")
                return redirect("segments:detail", pk=segment.pk)
        segment.refresh_from_db()
        context = detail_context(request, segment, members_form=form)
        return render(request, "segments/detail.html", context, status=400)


class SegmentDeleteView(StaffRequiredMixin, View):
    """GET asks for confirmation; POST deletes (refused while other rules name it)."""

    def get(self, request, pk: int):
        segment = _segment(pk)
        return render(request, "segments/delete.html", self._context(segment))

    def post(self, request, pk: int):
        segment = _segment(pk)
        try:
            services.segment_delete(segment=segment)
        except ValidationError as error:
            context = self._context(segment, errors=error.messages)
            return render(request, "segments/delete.html", context, status=400)
        messages.success(request, f"Segment “{segment.name}” deleted.")
        return redirect("segments:list")

    def _context(self, segment: Segment, errors=None) -> dict:
        return {
            "nav": "segments",
            "segment": segment,
            "errors": errors or [],
            "dependents": list(segment.dependents.order_by("name")),
        }


class SegmentExplainSearchView(StaffRequiredMixin, View):
    """GET ?q=: partners to explain (fragment), each marked member or not."""

    def get(self, request, pk: int):
        segment = _segment(pk)
        query = request.GET.get("q", "")[:100]
        candidates = selectors.segment_explain_candidates(segment=segment, query=query)
        context = {"segment": segment, "query": query, "candidates": candidates}
        return render(request, "segments/_explain_search.html", context)


class SegmentExplainView(StaffRequiredMixin, View):
    """GET ?partner=<id>: why the partner is or is not in the segment (fragment)."""

    def get(self, request, pk: int):
        segment = _segment(pk)
        partner_id = request.GET.get("partner", "")
        if not partner_id.isdigit():
            return HttpResponseBadRequest("A partner id is required, e.g. ?partner=42.")
        partner = get_object_or_404(Partner, pk=int(partner_id))
        context = {"segment": segment, "partner": partner}
        try:
            explanation = selectors.segment_explain(segment=segment, partner=partner)
        except RuleError as error:
            context["error"] = str(error)
            return render(request, "segments/_explain.html", context)
        context["explanation"] = explanation
        if explanation["explanation"]:
            context["tree"] = RuleDescriber().describe(explanation["explanation"])
        return render(request, "segments/_explain.html", context)


class PartnerSegmentsPanelView(StaffRequiredMixin, View):
    """The partner page's Segments panel (fragment): the segments the partner is in, each
    with why, and the partner's joins and leaves."""

    def get(self, request, partner_pk: int):
        partner = get_object_or_404(Partner, pk=partner_pk)
        describer = RuleDescriber()
        memberships = []
        for item in selectors.partner_segments_explained(partner=partner):
            explanation = item.pop("explanation")
            if explanation is not None:
                item.update(tree=describer.describe(explanation), matches=explanation["result"])
            memberships.append(item)
        events = list(selectors.partner_membership_events(partner=partner, limit=20))
        for event in events:
            event.cause = selectors.membership_event_cause(event)
        context = {"partner": partner, "memberships": memberships, "events": events}
        return render(request, "segments/_partner_panel.html", context)
