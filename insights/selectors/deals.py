"""Deal pipeline and win rate per segment, from the partners' deal figures (deals.stats keeps
them current: after every transition and daily)."""

from __future__ import annotations

import pandas as pd

from deals.models import PartnerDealStats
from insights.selectors.base import in_list, insight_segments, read_sql
from segments.models import Membership, Segment

DEAL_COLUMNS = [
    "segment_id",
    "segment",
    "members",
    "partners_with_pipeline",
    "open_deals",
    "open_amount",
    "open_amount_per_member",
    "registered_12m",
    "approved_12m",
    "won_12m",
    "lost_12m",
    "win_rate_pct",
]

_DEALS_SQL = """
SELECT s.id AS segment_id,
       COUNT(m.partner_id) AS members,
       COUNT(d.partner_id) FILTER (WHERE d.open_pipeline_count > 0) AS partners_with_pipeline,
       COALESCE(SUM(d.open_pipeline_count), 0) AS open_deals,
       COALESCE(SUM(d.open_pipeline_amount), 0) AS open_amount,
       COALESCE(SUM(d.deals_registered_12m), 0) AS registered_12m,
       COALESCE(SUM(d.deals_approved_12m), 0) AS approved_12m,
       COALESCE(SUM(d.won_12m), 0) AS won_12m,
       COALESCE(SUM(d.lost_12m), 0) AS lost_12m
FROM {segment} s
LEFT JOIN {membership} m ON m.segment_id = s.id
LEFT JOIN {stats} d ON d.partner_id = m.partner_id
WHERE s.id IN {segment_ids}
GROUP BY s.id
"""


def segment_deal_pipeline(*, segment_ids: list[int] | None = None) -> pd.DataFrame:
    """Per active segment (or the given ones), ordered by name: members now, how many have an
    open pipeline, the open registrations (submitted, or approved and still protected) and
    their amount in PRM_CURRENCY (in total and per member), the registrations submitted and
    approved in the last 12 months, won and lost in them, and the win rate won / (won + lost)
    in percent (empty when none closed). The win rate is the segment's own, over all its
    members' closed deals, not a mean of the partners' rates. One query for the segments and
    one for the figures, whatever the number of partners and deals."""
    segments = insight_segments(segment_ids=segment_ids)
    if segments.empty:
        return pd.DataFrame(columns=DEAL_COLUMNS)
    ids_sql, params = in_list("segment", [int(pk) for pk in segments["id"]])
    sql = _DEALS_SQL.format(
        segment=Segment._meta.db_table,
        membership=Membership._meta.db_table,
        stats=PartnerDealStats._meta.db_table,
        segment_ids=ids_sql,
    )
    frame = read_sql(sql, params)
    frame = (
        segments[["id", "name"]]
        .rename(columns={"id": "segment_id", "name": "segment"})
        .merge(frame, on="segment_id", how="left")
    )
    counts = [
        "members",
        "partners_with_pipeline",
        "open_deals",
        "registered_12m",
        "approved_12m",
        "won_12m",
        "lost_12m",
    ]
    frame[counts] = frame[counts].fillna(0).astype(int)
    # SQLite sums decimals as floats: 400.00000000000006 where PostgreSQL says 400.00.
    frame["open_amount"] = frame["open_amount"].fillna(0).astype(float).round(2)
    members = frame["members"].where(frame["members"] > 0)
    frame["open_amount_per_member"] = (frame["open_amount"] / members).round(2)
    closed = frame["won_12m"] + frame["lost_12m"]
    frame["win_rate_pct"] = (frame["won_12m"] / closed.where(closed > 0) * 100).round(2)
    return frame[DEAL_COLUMNS].reset_index(drop=True)
