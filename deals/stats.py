"""Per-partner deal figures the segment rules read (deals_registered_12m, deals_approved_12m,
deal_win_rate_12m, open_pipeline_amount), refreshed set-based for the partners a change
touched, and daily for every partner (the 12-month window rolls).

The figures (deals.models.PartnerDealStats):

- deals_registered_12m: registrations submitted (submitted_at) in the last 12 months,
  whatever became of them;
- deals_approved_12m: registrations approved (decided_at, in a state an approval leads to:
  approved, won, lost, expired) in the last 12 months;
- deal_win_rate_12m: won / (won + lost) of the registrations closed (closed_at) in the last
  12 months, in percent with two decimals; NULL when none was won or lost (an expired one is
  neither);
- open_pipeline_amount / open_pipeline_count: the submitted registrations and the approved
  ones whose protection has not ended (protection_ends_on today or later, or none), as the
  conflict check counts "open". The amount is in PRM_CURRENCY, like every partner figure:
  other currencies at PRM_DEAL_EXCHANGE_RATES; a currency without a rate is left out of the
  amount, never added as if it were PRM_CURRENCY.

"The last 12 months" is from local midnight of the same day a year ago (29 February → 28
February) up to now: a deal submitted at that midnight counts, one a second earlier does not.

A refresh is one aggregate query and one upsert (bulk_create with update_conflicts: INSERT
… ON CONFLICT on PostgreSQL and SQLite) per chunk of partners, whatever their deals. On
PostgreSQL the partners' rows are locked first (FOR NO KEY UPDATE, which row inserts that
reference the partner do not wait for), so two transactions refreshing the same partner take
turns and the second aggregates what the first committed. Then the partners whose figures
moved are announced on the change-driven path (partners_changed, reason "deals", the fields
that moved), and the dynamic segments using these fields re-check them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from deals.models import DealStatus, PartnerDealStats, open_q
from partners.models import Partner
from partners.services import partners_mark_changed
from prm.formatting import default_currency

logger = logging.getLogger(__name__)

# The segment fields, in the order of PartnerDealStats' columns.
STATS_FIELDS = (
    "deals_registered_12m",
    "deals_approved_12m",
    "deal_win_rate_12m",
    "open_pipeline_amount",
)
CHUNK = 2000
CENTS = Decimal("0.01")
# The states an approval leads to: an approved deal stays counted as approved once it closes.
APPROVED_STATES = (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED)
_MONEY = DecimalField(max_digits=24, decimal_places=6)


def window_start(now: dt.datetime) -> dt.datetime:
    """Local midnight of the same day a year before `now`'s local date (28 Feb for 29 Feb)."""
    today = timezone.localtime(now).date()
    try:
        day = today.replace(year=today.year - 1)
    except ValueError:
        day = today.replace(year=today.year - 1, day=28)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def exchange_rates() -> dict[str, Decimal]:
    """{currency: units of PRM_CURRENCY per unit}; PRM_CURRENCY itself is 1."""
    rates = {
        code.upper(): Decimal(str(rate))
        for code, rate in getattr(settings, "PRM_DEAL_EXCHANGE_RATES", {}).items()
    }
    rates[default_currency()] = Decimal(1)
    return rates


def _rate_of_currency(rates: dict[str, Decimal]) -> Case:
    """The deal's rate into PRM_CURRENCY, NULL for a currency without one (SUM skips it)."""
    return Case(
        *(When(deals__currency=code, then=Value(rate)) for code, rate in sorted(rates.items())),
        default=Value(None),
        output_field=_MONEY,
    )


def _aggregate(partner_ids: Sequence[int], *, now: dt.datetime) -> list[dict[str, Any]]:
    """One query: each existing partner's figures now and the ones stored (None without a
    row)."""
    since = window_start(now)
    today = timezone.localtime(now).date()
    is_open = open_q(today, prefix="deals__")
    closed = Q(deals__closed_at__gte=since, deals__closed_at__lte=now)
    return list(
        Partner.objects.filter(pk__in=list(partner_ids))
        .order_by()
        .values("pk")
        .annotate(
            registered=Count(
                "deals", filter=Q(deals__submitted_at__gte=since, deals__submitted_at__lte=now)
            ),
            approved=Count(
                "deals",
                filter=Q(
                    deals__status__in=APPROVED_STATES,
                    deals__decided_at__gte=since,
                    deals__decided_at__lte=now,
                ),
            ),
            won=Count("deals", filter=closed & Q(deals__status=DealStatus.WON)),
            lost=Count("deals", filter=closed & Q(deals__status=DealStatus.LOST)),
            open_count=Count("deals", filter=is_open),
            open_amount=Coalesce(
                Sum(
                    F("deals__amount") * _rate_of_currency(exchange_rates()),
                    filter=is_open,
                    output_field=_MONEY,
                ),
                Value(Decimal(0)),
                output_field=_MONEY,
            ),
            stored=F("deal_stats__refreshed_at"),
            stored_registered=F("deal_stats__deals_registered_12m"),
            stored_approved=F("deal_stats__deals_approved_12m"),
            stored_won=F("deal_stats__won_12m"),
            stored_lost=F("deal_stats__lost_12m"),
            stored_win_rate=F("deal_stats__deal_win_rate_12m"),
            stored_amount=F("deal_stats__open_pipeline_amount"),
            stored_count=F("deal_stats__open_pipeline_count"),
        )
    )


def _decimal(value: Any, places: Decimal = CENTS) -> Decimal:
    return Decimal(str(value)).quantize(places, rounding=ROUND_HALF_UP)


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    closed = row["won"] + row["lost"]
    return {
        "deals_registered_12m": row["registered"],
        "deals_approved_12m": row["approved"],
        "won_12m": row["won"],
        "lost_12m": row["lost"],
        "deal_win_rate_12m": _decimal(Decimal(row["won"]) * 100 / closed) if closed else None,
        "open_pipeline_amount": _decimal(row["open_amount"] or 0),
        "open_pipeline_count": row["open_count"],
    }


# What a partner without a row reads as.
EMPTY_FIGURES = {
    "deals_registered_12m": 0,
    "deals_approved_12m": 0,
    "won_12m": 0,
    "lost_12m": 0,
    "deal_win_rate_12m": None,
    "open_pipeline_amount": Decimal("0.00"),
    "open_pipeline_count": 0,
}


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    if row["stored"] is None:
        return EMPTY_FIGURES
    win_rate = row["stored_win_rate"]
    return {
        "deals_registered_12m": row["stored_registered"],
        "deals_approved_12m": row["stored_approved"],
        "won_12m": row["stored_won"],
        "lost_12m": row["stored_lost"],
        "deal_win_rate_12m": None if win_rate is None else _decimal(win_rate),
        "open_pipeline_amount": _decimal(row["stored_amount"]),
        "open_pipeline_count": row["stored_count"],
    }


def _lock_partners(partner_ids: Sequence[int]) -> None:
    """PostgreSQL: the partners' rows, locked in id order until the transaction ends."""
    if connection.vendor != "postgresql":
        return  # SQLite runs one writer at a time
    list(
        Partner.objects.filter(pk__in=list(partner_ids))
        .order_by("pk")
        .select_for_update(no_key=True)
        .values_list("pk", flat=True)
    )


@transaction.atomic
def _refresh_chunk(partner_ids: Sequence[int], *, now: dt.datetime) -> dict[int, tuple[str, ...]]:
    """Refresh these partners; {partner id: the segment fields that moved}."""
    _lock_partners(partner_ids)
    rows, moved = [], {}
    for row in _aggregate(partner_ids, now=now):
        figures, stored = _figures(row), _stored(row)
        if row["stored"] is None and figures == EMPTY_FIGURES:
            continue  # no row reads the same: none is written for a partner without deals
        rows.append(PartnerDealStats(partner_id=row["pk"], refreshed_at=now, **figures))
        fields = tuple(name for name in STATS_FIELDS if figures[name] != stored[name])
        if fields:
            moved[row["pk"]] = fields
    if rows:
        PartnerDealStats.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["partner"],
            update_fields=[*EMPTY_FIGURES, "refreshed_at"],
        )
    by_fields: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for partner_id, fields in moved.items():
        by_fields[fields].append(partner_id)
    for fields, ids in sorted(by_fields.items()):
        # After commit: the segments re-check the partners, with these fields as the cause.
        partners_mark_changed(partner_ids=ids, reason="deals", fields=fields)
    return moved


def deal_stats_refresh(*, partner_ids: Iterable[int], now: dt.datetime | None = None) -> set[int]:
    """Recompute the deal figures of `partner_ids` (one aggregate and one upsert per chunk of
    CHUNK partners), inside the caller's transaction when there is one; the partners whose
    segment fields moved are announced after commit. Returns those partners' ids."""
    ids = sorted({int(pk) for pk in partner_ids})
    now = now or timezone.now()
    moved: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        moved.update(_refresh_chunk(ids[start : start + CHUNK], now=now))
    return moved


def deal_stats_refresh_all(
    *, chunk_size: int = CHUNK, now: dt.datetime | None = None
) -> dict[str, int]:
    """Every partner's figures, a chunk of partner ids (by id) per transaction: the daily
    refresh, as registrations leave the 12-month window and protections end. Returns how many
    partners were looked at and how many moved."""
    now = now or timezone.now()
    last, partners, moved = 0, 0, 0
    while True:
        ids = list(
            Partner.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk_size]
        )
        if not ids:
            break
        moved += len(_refresh_chunk(ids, now=now))
        partners += len(ids)
        last = ids[-1]
    logger.info("deal figures refreshed: %s partners, %s moved", partners, moved)
    return {"partners": partners, "moved": moved}


# -- the segment fields -----------------------------------------------------------------------


def _stats_value(column: str, output_field, empty: Any) -> Any:
    """A PartnerDealStats column as an expression on Partner (one primary-key probe of the
    stats table per partner); a partner without a row reads as `empty`."""
    from django.db.models import OuterRef, Subquery

    def expression(today: dt.date):
        value = Subquery(
            PartnerDealStats.objects.filter(partner_id=OuterRef("pk")).values(column)[:1],
            output_field=output_field,
        )
        if empty is None:
            return value
        return Coalesce(value, Value(empty), output_field=output_field)

    return expression


def segment_field_specs() -> list:
    """The registry fields of the deals figures (registered by DealsConfig.ready())."""
    from django.db.models import IntegerField

    from segments.fields import FieldSpec, FieldType

    money = DecimalField(max_digits=18, decimal_places=2)
    percent = DecimalField(max_digits=5, decimal_places=2)

    def spec(name, label, output_field, empty, help_text, **extra):
        return FieldSpec(
            name=name,
            type=FieldType.NUMBER,
            label=label,
            expression=_stats_value(name, output_field, empty),
            output_field=output_field,
            help_text=help_text,
            group="Deals",
            **extra,
        )

    return [
        spec(
            "deals_registered_12m",
            "Deals registered (last 12 months)",
            IntegerField(),
            0,
            "Deal registrations submitted in the last 12 months, whatever became of them.",
        ),
        spec(
            "deals_approved_12m",
            "Deals approved (last 12 months)",
            IntegerField(),
            0,
            "Deal registrations approved in the last 12 months.",
        ),
        spec(
            "deal_win_rate_12m",
            "Deal win rate (last 12 months, %)",
            percent,
            None,
            "0 to 100: won / (won + lost) of the deals closed in the last 12 months; empty "
            "when none was won or lost.",
        ),
        spec(
            "open_pipeline_amount",
            "Open deal pipeline",
            money,
            Decimal(0),
            "Submitted and approved (still protected) registrations, in the figures' currency "
            "(other currencies at the configured rates).",
            money=True,
        ),
    ]
