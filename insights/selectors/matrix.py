"""The value / need matrix: revenue potential against enablement need."""

from __future__ import annotations

from typing import Any

import numpy as np

from insights.selectors.base import median, read_sql
from partners.models import (
    Partner,
)
from segments.models import Membership

MATRIX_SAMPLE_SIZE = 2000
# The sample's order: a multiplicative hash of the id (the LCG of C's rand), the same on every
# engine and stable between requests, so that the points do not crowd at the oldest partners.
_SAMPLE_ORDER = "(p.id * 1103515245 + 12345) %% 2147483648, p.id"


def _segment_filter(segment_id: int | None) -> tuple[str, dict[str, Any]]:
    if segment_id is None:
        return "", {}
    return (
        f"WHERE EXISTS (SELECT 1 FROM {Membership._meta.db_table} m "
        "WHERE m.partner_id = p.id AND m.segment_id = %(segment_id)s)",
        {"segment_id": segment_id},
    )


def value_need_matrix(
    *, segment_id: int | None = None, sample_size: int = MATRIX_SAMPLE_SIZE
) -> dict[str, Any]:
    """Partners on a 2x2 of revenue potential (revenue_12m) against enablement need
    (100 - enablement completion), split at the medians: the medians, the partners per
    quadrant (counted in SQL over all of them) and a stable sample of at most `sample_size`
    points. Two queries."""
    where, params = _segment_filter(segment_id)
    base = f"""
        SELECT p.id, p.name, p.external_id, p.is_at_risk,
               CAST(COALESCE(p.revenue_12m, 0) AS float) AS value,
               CAST(100 - COALESCE(p.enablement_completion_pct, 0) AS float) AS need
        FROM {Partner._meta.db_table} p {where}
    """
    summary_sql = f"""
        WITH base AS ({base}),
        medians AS (
            SELECT {median("value")} AS value_median, {median("need")} AS need_median
            FROM base
        )
        SELECT md.value_median, md.need_median, COUNT(b.id) AS partners,
               COUNT(b.id) FILTER (WHERE b.value >= md.value_median
                                   AND b.need >= md.need_median) AS invest,
               COUNT(b.id) FILTER (WHERE b.value >= md.value_median
                                   AND b.need < md.need_median) AS grow,
               COUNT(b.id) FILTER (WHERE b.value < md.value_median
                                   AND b.need >= md.need_median) AS develop,
               COUNT(b.id) FILTER (WHERE b.value < md.value_median
                                   AND b.need < md.need_median) AS maintain
        FROM medians md LEFT JOIN base b ON true
        GROUP BY md.value_median, md.need_median
    """
    summary = read_sql(summary_sql, params).iloc[0].to_dict()
    points = read_sql(
        f"{base} ORDER BY {_SAMPLE_ORDER} LIMIT %(limit)s", {**params, "limit": sample_size}
    )
    points["is_at_risk"] = points["is_at_risk"].astype(bool)  # SQLite answers 0 or 1
    # SQLite keeps decimals as floats: 637391.7000000001 where PostgreSQL says 637391.7.
    points[["value", "need"]] = points[["value", "need"]].astype(float).round(2)
    value_median = float(summary["value_median"] or 0)
    need_median = float(summary["need_median"] or 0)
    points["quadrant"] = np.select(
        [
            (points["value"] >= value_median) & (points["need"] >= need_median),
            (points["value"] >= value_median),
            (points["need"] >= need_median),
        ],
        ["invest", "grow", "develop"],
        default="maintain",
    )
    return {
        "value_median": value_median,
        "need_median": need_median,
        "partners": int(summary["partners"]),
        "quadrants": {key: int(summary[key]) for key in QUADRANTS},
        "points": points,
    }


QUADRANTS = {
    "invest": "Invest: high value, high need",
    "grow": "Grow: high value, low need",
    "develop": "Develop or nurture: low value, high need",
    "maintain": "Maintain: low value, low need",
}
