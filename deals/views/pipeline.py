"""The pipeline page: registrations by stage, by partner tier and by segment, in one currency
at a time (amounts of different currencies are never added), with Chart.js charts drawn by
static/js/app.js like the insights pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views import View

from deals import selectors
from deals.models import DealStatus
from partners.access import StaffRequiredMixin
from prm.charts import PALETTE

NAV = "deal_pipeline"
PERIODS = {"90d": 90, "12m": 365, "all": None}
# The stages drawn in the tier and segment charts (the others are in the tables).
CHART_STAGES = (DealStatus.SUBMITTED, DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST)
STAGE_COLOURS = {
    DealStatus.DRAFT: "#cbd5e1",
    DealStatus.SUBMITTED: "#0ea5e9",
    DealStatus.APPROVED: "#4f46e5",
    DealStatus.WON: "#10b981",
    DealStatus.LOST: "#ef4444",
    DealStatus.EXPIRED: "#f59e0b",
    DealStatus.REJECTED: "#94a3b8",
    DealStatus.WITHDRAWN: "#64748b",
}
_LEGEND = {"position": "bottom", "labels": {"boxWidth": 12, "usePointStyle": True}}
_GRID = {"color": "rgba(15, 23, 42, .06)"}


class PipelineForm(forms.Form):
    currency = forms.ChoiceField(required=False)
    period = forms.ChoiceField(
        required=False,
        choices=[("12m", "Last 12 months"), ("90d", "Last 90 days"), ("all", "All time")],
    )

    def __init__(self, data: Any, *, currencies: list[str]) -> None:
        super().__init__(data)
        self.fields["currency"].choices = [(code, code) for code in currencies]


def _money_axis(currency: str) -> dict[str, Any]:
    """Money on the y axis when the chart's currency is the one app.js formats (the page's
    default currency); else plain numbers with the currency in the axis title."""
    if currency == settings.PRM_CURRENCY:
        return {"formats": {"y": "money"}}
    return {}


def stage_chart(pipeline: dict[str, Any]) -> dict[str, Any]:
    """Amount per stage, one bar each."""
    stages = pipeline["total"]["stages"]
    currency = pipeline["currency"]
    return {
        "type": "bar",
        **_money_axis(currency),
        "data": {
            "labels": [DealStatus(status).label for status in selectors.STAGE_ORDER],
            "datasets": [
                {
                    "label": f"Amount ({currency})",
                    "data": [float(stages[status]["amount"]) for status in selectors.STAGE_ORDER],
                    "backgroundColor": [STAGE_COLOURS[s] for s in selectors.STAGE_ORDER],
                    "borderRadius": 4,
                }
            ],
        },
        "options": {
            "animation": False,
            "plugins": {"legend": {"display": False}},
            "scales": {
                "x": {"grid": {"display": False}},
                "y": {
                    "beginAtZero": True,
                    "grid": _GRID,
                    "title": {"display": True, "text": currency},
                },
            },
        },
    }


def stacked_stage_chart(rows: list[dict[str, Any]], *, currency: str) -> dict[str, Any]:
    """One horizontal bar per row (a tier, a segment), stacked by stage, in amounts."""
    return {
        "type": "bar",
        **({"formats": {"x": "money"}} if currency == settings.PRM_CURRENCY else {}),
        "data": {
            "labels": [row["label"] for row in rows],
            "datasets": [
                {
                    "label": DealStatus(status).label,
                    "data": [float(row["stages"][status]["amount"]) for row in rows],
                    "backgroundColor": STAGE_COLOURS.get(status, PALETTE[0]),
                    "borderRadius": 3,
                }
                for status in CHART_STAGES
            ],
        },
        "options": {
            "animation": False,
            "indexAxis": "y",
            "plugins": {"legend": _LEGEND},
            "scales": {
                "x": {
                    "stacked": True,
                    "beginAtZero": True,
                    "grid": _GRID,
                    "title": {"display": True, "text": currency},
                },
                "y": {"stacked": True, "grid": {"display": False}},
            },
        },
    }


class DealPipelineView(StaffRequiredMixin, View):
    """GET ?currency=&period=: the pipeline of the registrations created in the period."""

    def get(self, request: HttpRequest) -> HttpResponse:
        currencies = [code for code, _ in selectors.deal_currencies()]
        default = (
            settings.PRM_CURRENCY
            if settings.PRM_CURRENCY in currencies or not currencies
            else currencies[0]
        )
        form = PipelineForm(request.GET or None, currencies=currencies or [default])
        status = 200
        currency, period = default, "12m"
        if form.is_bound:
            if form.is_valid():
                currency = form.cleaned_data["currency"] or default
                period = form.cleaned_data["period"] or period
            else:
                status = 400
        days = PERIODS[period]
        since = timezone.localdate() - dt.timedelta(days=days) if days else None
        pipeline = selectors.deal_pipeline(currency=currency, since=since)
        context = {
            "nav": NAV,
            "form": form,
            "currency": currency,
            "period": period,
            "currencies": currencies,
            "pipeline": pipeline,
            "stage_rows": [
                (status, DealStatus(status).label, pipeline["total"]["stages"][status])
                for status in selectors.STAGE_ORDER
            ],
            "stage_chart": stage_chart(pipeline),
            "tier_chart": stacked_stage_chart(pipeline["by_tier"], currency=currency),
            "segment_chart": stacked_stage_chart(pipeline["by_segment"], currency=currency),
        }
        return render(request, "deals/pipeline.html", context, status=status)
