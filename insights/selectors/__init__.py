"""Reads for insights, each a few set-based SQL queries into pandas DataFrames, the same on
PostgreSQL and SQLite (see insights.selectors.base).

Segment membership over time comes from the join/leave history: a partner is a member at the
end of a period when it joined before that moment and had not left by then (a membership
without any recorded event counts from its joined_at). Revenue, deals and the 12-month revenue
are read from the monthly performance records, so past periods use the figures of their time.
The deal pipeline and win rate per segment are today's, from the partners' deal figures.
"""

from insights.selectors.base import insight_segments
from insights.selectors.deals import DEAL_COLUMNS, segment_deal_pipeline
from insights.selectors.features import (
    CLUSTER_NUMERIC_FEATURES,
    CLUSTER_TAG_FEATURES,
    partner_features,
    partner_names,
)
from insights.selectors.kpis import (
    KPI_COLUMNS,
    segment_at_risk_counts,
    segment_kpis,
    segment_latest_kpis,
)
from insights.selectors.matrix import MATRIX_SAMPLE_SIZE, QUADRANTS, value_need_matrix
from insights.selectors.revenue import (
    partner_forecasts,
    partner_monthly_revenue,
    segment_forecasts,
    segment_monthly_revenue,
)

__all__ = [
    "CLUSTER_NUMERIC_FEATURES",
    "CLUSTER_TAG_FEATURES",
    "DEAL_COLUMNS",
    "KPI_COLUMNS",
    "MATRIX_SAMPLE_SIZE",
    "QUADRANTS",
    "insight_segments",
    "partner_features",
    "partner_forecasts",
    "partner_monthly_revenue",
    "partner_names",
    "segment_at_risk_counts",
    "segment_deal_pipeline",
    "segment_forecasts",
    "segment_kpis",
    "segment_latest_kpis",
    "segment_monthly_revenue",
    "value_need_matrix",
]
