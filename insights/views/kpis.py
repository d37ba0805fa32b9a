"""Segment KPIs over time, and segments side by side."""

from __future__ import annotations

from typing import Any

import pandas as pd

from insights import charts, selectors
from insights.views.base import BadInput, InsightsView, PeriodMixin, frame_rows, int_param
from segments.models import Segment

MAX_COMPARED = 6


class OverviewView(PeriodMixin, InsightsView):
    """/insights/: every active segment's KPIs for the latest period, with sparklines and
    charts of members and 12-month revenue over the chosen periods."""

    template_name = "insights/overview.html"
    tables = ("segment-kpis",)

    def kpis(self) -> pd.DataFrame:
        kind, count = self.period_choice()
        return selectors.segment_kpis(period_kind=kind, periods=count)

    def table(self, name: str) -> pd.DataFrame:
        return self.kpis()

    def context(self) -> dict[str, Any]:
        kind, count = self.period_choice()
        kpis = self.kpis()
        latest = selectors.segment_latest_kpis(kpis)
        at_risk = selectors.segment_at_risk_counts(segment_ids=latest["segment_id"].tolist())
        rows = []
        for row in frame_rows(latest):
            history = kpis[kpis["segment_id"] == row["segment_id"]]
            row["at_risk"] = at_risk.get(row["segment_id"], 0)
            row["revenue_spark"] = charts.sparkline(history["revenue_12m_total"].tolist())
            row["members_spark"] = charts.sparkline(history["members"].tolist())
            row["chart_ids"] = {
                "members": f"spark-members-{row['segment_id']}",
                "revenue": f"spark-revenue-{row['segment_id']}",
            }
            rows.append(row)
        return {
            "rows": rows,
            "period_kind": kind,
            "periods": count,
            "period_label": latest["period"].iloc[0] if not latest.empty else "",
            "charts": {
                "members": charts.kpi_lines(kpis, column="members", label="Members"),
                "revenue": charts.kpi_lines(
                    kpis,
                    column="revenue_12m_total",
                    label="Revenue, 12 months (members)",
                    money=True,
                ),
            },
            "downloads": self.downloads("segment-kpis"),
            "segments": list(Segment.objects.filter(is_active=True).values("id", "name")),
        }


COMPARED_KPIS = {
    "members": "Members",
    "joins": "Joins",
    "leaves": "Leaves",
    "revenue": "Revenue (period)",
    "revenue_12m_total": "Revenue, 12 months (total)",
    "revenue_12m_median": "Revenue, 12 months (median)",
    "growth_pct": "Growth against previous period (%)",
    "deals_won": "Deals won",
    "enablement_completion_pct": "Enablement completion (%)",
    "active_certifications": "Active certifications",
    "open_rate_pct": "Open rate (%)",
    "click_rate_pct": "Click rate (%)",
}


def _kind(key: str) -> str:
    """How a KPI is printed (insights_format.insights_number)."""
    if key.startswith("revenue"):
        return "money"
    return "percent" if key.endswith("_pct") else "count"


# By label: the comparison table's rows are named by their KPI's label.
COMPARED_KINDS = {label: _kind(key) for key, label in COMPARED_KPIS.items()}


class CompareView(PeriodMixin, InsightsView):
    """/insights/segments/compare/?segments=1,2: the segments side by side (latest period)
    and their KPIs over time."""

    template_name = "insights/compare.html"
    tables = ("segment-comparison",)

    def segment_ids(self) -> list[int]:
        raw = ",".join(self.request.GET.getlist("segments"))
        ids = []
        for part in filter(None, (item.strip() for item in raw.split(","))):
            ids.append(int_param(part, name="segments", default=0, low=1, high=2**62))
        ids = list(dict.fromkeys(ids))
        if len(ids) > MAX_COMPARED:
            raise BadInput(f"compare at most {MAX_COMPARED} segments")
        found = set(Segment.objects.filter(pk__in=ids).values_list("id", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise BadInput(f"unknown segments: {', '.join(map(str, missing))}")
        return ids

    def comparison(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        ids = self.segment_ids()
        if not ids:
            return pd.DataFrame(), pd.DataFrame()
        kind, count = self.period_choice()
        kpis = selectors.segment_kpis(segment_ids=ids, period_kind=kind, periods=count)
        latest = selectors.segment_latest_kpis(kpis)
        table = latest.set_index("segment")[list(COMPARED_KPIS)].T
        table.index = [COMPARED_KPIS[key] for key in table.index]
        table.index.name = "kpi"
        return kpis, table.reset_index()

    def table(self, name: str) -> pd.DataFrame:
        return self.comparison()[1]

    def context(self) -> dict[str, Any]:
        kpis, table = self.comparison()
        context: dict[str, Any] = {
            "all_segments": list(Segment.objects.order_by("name").values("id", "name")),
            "selected": self.segment_ids(),
            "period_kind": self.period_choice()[0],
            "periods": self.period_choice()[1],
        }
        if table.empty:
            return context
        names = [column for column in table.columns if column != "kpi"]
        context.update(
            columns=names,
            rows=[
                {"kpi": row[0], "kind": COMPARED_KINDS[row[0]], "values": list(row[1:])}
                for row in table.astype(object)
                .where(table.notna(), None)
                .itertuples(index=False, name=None)
            ],
            charts={
                "members": charts.kpi_lines(kpis, column="members", label="Members"),
                "revenue": charts.kpi_lines(
                    kpis, column="revenue_12m_total", label="Revenue, 12 months", money=True
                ),
                "rates": charts.grouped_bars(
                    ["Enablement completion %", "Open rate %", "Click rate %"],
                    {
                        name: [
                            latest[key]
                            for key in (
                                "enablement_completion_pct",
                                "open_rate_pct",
                                "click_rate_pct",
                            )
                        ]
                        for name, latest in selectors.segment_latest_kpis(kpis)
                        .set_index("segment")
                        .iterrows()
                    },
                ),
            },
            downloads=self.downloads("segment-comparison"),
        )
        return context
