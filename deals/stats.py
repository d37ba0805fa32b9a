"""Per-partner deal figures the segment rules read (deals_registered_12m, deals_approved_12m,
deal_win_rate_12m, open_pipeline_amount), refreshed set-based for the partners a change
touched."""

from __future__ import annotations

from collections.abc import Iterable


def deal_stats_refresh(*, partner_ids: Iterable[int]) -> None:
    """Recompute the deal figures of `partner_ids` (one statement per figure set)."""
    # Filled in by the stats work of issue 17 before it lands.
    return None
