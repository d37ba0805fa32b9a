"""The deal pipeline and win rate per segment."""

from __future__ import annotations

from typing import Any

import pandas as pd

from insights import charts, selectors
from insights.views.base import InsightsView, frame_rows


class DealsView(InsightsView):
    """/insights/deals/: every active segment's open deal pipeline (submitted and protected
    approved registrations, amount in PRM_CURRENCY) and its 12-month win rate, today."""

    template_name = "insights/deals.html"
    tables = ("segment-deals",)

    def table(self, name: str) -> pd.DataFrame:
        return selectors.segment_deal_pipeline()

    def context(self) -> dict[str, Any]:
        pipeline = selectors.segment_deal_pipeline()
        labels = pipeline["segment"].tolist()
        return {
            "rows": frame_rows(pipeline),
            "charts": {
                "pipeline": charts.grouped_bars(
                    labels,
                    {"Open pipeline": pipeline["open_amount"].tolist()},
                    money=True,
                ),
                "win_rate": charts.grouped_bars(
                    labels, {"Win rate, 12 months (%)": pipeline["win_rate_pct"].tolist()}
                ),
            },
            "downloads": self.downloads("segment-deals"),
        }
