"""The forecast page: segments, and a partner look-up."""

from __future__ import annotations

from typing import Any

import pandas as pd
from django.utils import timezone

from insights import charts, selectors
from insights.forecasting import forecast_start, quarter_label
from insights.views.base import InsightsView, frame_rows
from partners.models import Partner

PARTNER_LOOKUP_LIMIT = 20


class ForecastView(InsightsView):
    """/insights/forecast/: next-quarter revenue per segment with the back-test error, and a
    partner look-up (?partner=<name or external id>)."""

    template_name = "insights/forecast.html"
    tables = ("segment-forecast", "partner-forecast")

    def matching_partners(self) -> dict[int, str]:
        query = (self.request.GET.get("partner") or "").strip()
        if not query:
            return {}
        partners = Partner.objects.filter(name__icontains=query) | Partner.objects.filter(
            external_id__iexact=query
        )
        return dict(
            partners.order_by("name", "id").values_list("id", "name")[:PARTNER_LOOKUP_LIMIT]
        )

    def partner_table(self, names: dict[int, str] | None = None) -> pd.DataFrame:
        forecasts = selectors.partner_forecasts(
            partner_ids=list(names) if names is not None else None
        )
        if names is None:
            names = selectors.partner_names(partner_ids=forecasts["partner_id"].tolist())
        forecasts.insert(1, "partner", forecasts["partner_id"].map(names))
        return forecasts

    def table(self, name: str) -> pd.DataFrame:
        if name == "partner-forecast":
            names = self.matching_partners() if self.request.GET.get("partner") else None
            return self.partner_table(names)
        return selectors.segment_forecasts()

    def context(self) -> dict[str, Any]:
        forecasts = selectors.segment_forecasts()
        names = self.matching_partners()
        partners = self.partner_table(names) if names else pd.DataFrame()
        found = forecasts.dropna(subset=["next_quarter"])
        return {
            "quarter_label": quarter_label(forecast_start(timezone.localdate())),
            "rows": frame_rows(forecasts),
            "chart": charts.forecast_bars(found) if not found.empty else None,
            "partner_query": self.request.GET.get("partner", ""),
            "partner_rows": frame_rows(partners),
            "partner_missing": [
                pk for pk in names if partners.empty or pk not in set(partners["partner_id"])
            ],
            "downloads": {
                "segments": self.downloads("segment-forecast"),
                "partners": self.downloads("partner-forecast"),
            },
        }
