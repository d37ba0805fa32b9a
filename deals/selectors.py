"""Reads of the deals app for the channel manager's pages: the registration list, the review
queue ordered by SLA, one registration with its history and competing registrations, the
pipeline by stage, tier and segment (set-based aggregates), and the incentive rules.

Every list here is one query for its page whatever its length (related rows joined or
prefetched, counts in subqueries), so a page takes a constant number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from deals.models import (
    OPEN_STATUSES,
    Account,
    DealConflict,
    DealRegistration,
    DealStatus,
    DealTransition,
    IncentiveRule,
    open_q,
)
from partners.models import Partner, Tier
from partners.scoping import scoped, scoped_get_or_404
from segments.models import Membership, Segment

# The order of the stages on the pipeline page and its charts.
STAGE_ORDER = (
    DealStatus.DRAFT,
    DealStatus.SUBMITTED,
    DealStatus.APPROVED,
    DealStatus.WON,
    DealStatus.LOST,
    DealStatus.EXPIRED,
    DealStatus.REJECTED,
    DealStatus.WITHDRAWN,
)
# The orderings the deal list offers (the id breaks ties so pages never overlap). Newest and
# oldest go by id, which follows creation: the primary key's index serves the first page of
# millions of registrations, where created_at (not indexed) would sort them all.
LIST_ORDERINGS = {
    "-created_at": ("-id",),
    "created_at": ("id",),
    "-amount": ("-amount", "-id"),
    "amount": ("amount", "id"),
    "expected_close_date": ("expected_close_date", "id"),
    "-expected_close_date": ("-expected_close_date", "-id"),
    "review_due_at": ("review_due_at", "id"),
    "partner": ("partner__name", "id"),
}
MONEY = DecimalField(max_digits=20, decimal_places=2)


def _conflict_count() -> Subquery:
    """How many registrations a row is flagged against (a subquery: no GROUP BY on the page)."""
    return Coalesce(
        Subquery(
            DealConflict.objects.filter(deal_id=OuterRef("pk"))
            .order_by()
            .values("deal_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def deals_overdue_q(*, now: dt.datetime | None = None) -> Q:
    """A submitted registration past its review time (marked by the sweep or not yet)."""
    now = now or timezone.now()
    return Q(status=DealStatus.SUBMITTED) & (Q(overdue_at__isnull=False) | Q(review_due_at__lt=now))


def _with_row_data(queryset: QuerySet[DealRegistration], *, now: dt.datetime) -> QuerySet:
    return queryset.select_related("partner", "partner__tier", "account", "submitted_by").annotate(
        is_overdue=Case(
            When(deals_overdue_q(now=now), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        conflict_count=_conflict_count(),
    )


@dataclass(frozen=True)
class DealListFilters:
    """The deal list's filters (deals.forms.DealFilterForm cleans them from the query)."""

    search: str = ""
    status: str = ""  # a DealStatus, "open", or "" for any
    partner_id: int | None = None
    tier: str = ""  # a tier slug, "none" for partners without a tier
    segment: str = ""  # a segment slug: registrations of its members
    currency: str = ""
    has_conflict: bool | None = None
    is_overdue: bool | None = None
    closes_after: dt.date | None = None
    closes_before: dt.date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    ordering: str = "-created_at"


def deal_list(
    *,
    filters: DealListFilters | None = None,
    now: dt.datetime | None = None,
    queryset: QuerySet[DealRegistration] | None = None,
) -> QuerySet[DealRegistration]:
    """Registrations (of `queryset`, else all: the API passes a partner user's own) with their
    partner, tier, account, submitter, overdue flag and conflict count, filtered and ordered as
    the list page asks (newest first by default)."""
    filters = filters or DealListFilters()
    now = now or timezone.now()
    queryset = DealRegistration.objects.all() if queryset is None else queryset
    if filters.search:
        for word in filters.search.split():
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(account__name__icontains=word)
                | Q(account__domain__icontains=word)
                | Q(partner__name__icontains=word)
            )
    if filters.status == "open":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.partner_id:
        queryset = queryset.filter(partner_id=filters.partner_id)
    if filters.tier == "none":
        queryset = queryset.filter(partner__tier__isnull=True)
    elif filters.tier:
        queryset = queryset.filter(partner__tier__slug=filters.tier)
    if filters.segment:
        queryset = queryset.filter(
            Exists(
                Membership.objects.filter(
                    partner_id=OuterRef("partner_id"), segment__slug=filters.segment
                )
            )
        )
    if filters.currency:
        queryset = queryset.filter(currency=filters.currency)
    if filters.has_conflict is not None:
        queryset = queryset.filter(has_conflict=filters.has_conflict)
    if filters.is_overdue is True:
        queryset = queryset.filter(deals_overdue_q(now=now))
    elif filters.is_overdue is False:
        queryset = queryset.exclude(deals_overdue_q(now=now))
    if filters.closes_after:
        queryset = queryset.filter(expected_close_date__gte=filters.closes_after)
    if filters.closes_before:
        queryset = queryset.filter(expected_close_date__lte=filters.closes_before)
    if filters.amount_min is not None:
        queryset = queryset.filter(amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        queryset = queryset.filter(amount__lte=filters.amount_max)
    ordering = LIST_ORDERINGS.get(filters.ordering, LIST_ORDERINGS["-created_at"])
    return _with_row_data(queryset, now=now).order_by(*ordering)


def deal_status_counts(*, queryset: QuerySet[DealRegistration] | None = None) -> dict[str, int]:
    """How many registrations are in each state (of `queryset`, else all), and their total:
    one query grouped by the indexed status."""
    queryset = DealRegistration.objects.all() if queryset is None else queryset
    counts = dict.fromkeys(DealStatus.values, 0)
    for status, count in (
        queryset.order_by().values("status").annotate(n=Count("status")).values_list("status", "n")
    ):
        counts[status] = count
    return {**counts, "total": sum(counts.values())}


def deal_review_queue(
    *, now: dt.datetime | None = None, pending_only: bool = True
) -> QuerySet[DealRegistration]:
    """The registrations waiting for review (every registration with pending_only=False, so a
    decision can name the ones decided meanwhile), with the row data of deal_list; ordered by
    SLA: overdue first, then by review time."""
    now = now or timezone.now()
    queryset = DealRegistration.objects.all()
    if pending_only:
        queryset = queryset.filter(status=DealStatus.SUBMITTED)
    return _with_row_data(queryset, now=now).order_by("-is_overdue", "review_due_at", "id")


def deal_get(*, deal_id: int) -> DealRegistration:
    """One registration with its partner, account, products, deciders and transitions (who,
    when, why), for its page; raises DealRegistration.DoesNotExist."""
    return (
        _with_row_data(DealRegistration.objects.all(), now=timezone.now())
        .select_related("decided_by", "incentive_rule", "account__industry")
        .prefetch_related(
            "technologies",
            Prefetch(
                "transitions",
                queryset=DealTransition.objects.select_related("actor").order_by("at", "id"),
            ),
        )
        .get(pk=deal_id)
    )


@dataclass(frozen=True)
class CompetingRegistration:
    """A registration competing with the one on the page, and the evidence: which field
    matched, how closely, which products both name; `flagged_this` when the page's
    registration is the one flagged (it came later), else the other one was."""

    conflict: DealConflict
    other: DealRegistration
    flagged_this: bool

    @property
    def matched_on(self) -> str:
        return self.conflict.matched_on

    @property
    def similarity(self) -> float:
        return self.conflict.similarity


def deal_competing(*, deal: DealRegistration) -> list[CompetingRegistration]:
    """The registrations competing with `deal` for its customer, both ways (the ones it was
    flagged against, and the later ones flagged against it), most similar first. Two queries
    (the conflicts with their registrations, and their products)."""
    other_rows = DealRegistration.objects.select_related(
        "partner", "partner__tier", "account", "submitted_by"
    ).prefetch_related("technologies")
    conflicts = list(
        DealConflict.objects.filter(Q(deal=deal) | Q(competing=deal))
        .select_related("deal", "competing")
        .order_by("-similarity", "id")
    )

    def other_id(conflict: DealConflict) -> int:
        return conflict.competing_id if conflict.deal_id == deal.pk else conflict.deal_id

    ids = {other_id(conflict) for conflict in conflicts}
    others = {row.pk: row for row in other_rows.filter(pk__in=ids)} if ids else {}
    return [
        CompetingRegistration(
            conflict=conflict,
            other=others[other_id(conflict)],
            flagged_this=conflict.deal_id == deal.pk,
        )
        for conflict in conflicts
    ]


# -- pipeline -------------------------------------------------------------------------------


def deal_currencies() -> list[tuple[str, int]]:
    """The currencies registrations are in, with how many each: most used first."""
    return list(
        DealRegistration.objects.order_by()
        .values("currency")
        .annotate(n=Count("id"))
        .order_by("-n", "currency")
        .values_list("currency", "n")
    )


def _amount_sum(condition: Q | None = None) -> Coalesce:
    return Coalesce(Sum("amount", filter=condition), Value(Decimal("0")), output_field=MONEY)


def _stage_figures() -> dict[str, Any]:
    """Count and amount per stage, for one .aggregate() or .annotate()."""
    figures: dict[str, Any] = {}
    for status in STAGE_ORDER:
        figures[f"n_{status}"] = Count("id", filter=Q(status=status))
        figures[f"amount_{status}"] = _amount_sum(Q(status=status))
    return figures


def _stages(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        status: {"count": row[f"n_{status}"], "amount": row[f"amount_{status}"]}
        for status in STAGE_ORDER
    }


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    stages = _stages(row)
    won, lost = stages[DealStatus.WON]["count"], stages[DealStatus.LOST]["count"]
    return {
        "stages": stages,
        "open_count": stages[DealStatus.SUBMITTED]["count"] + stages[DealStatus.APPROVED]["count"],
        "open_amount": stages[DealStatus.SUBMITTED]["amount"]
        + stages[DealStatus.APPROVED]["amount"],
        "won_amount": stages[DealStatus.WON]["amount"],
        "count": sum(stage["count"] for stage in stages.values()),
        # Won over closed by the partner (won + lost); None before any closes.
        "win_rate": (won / (won + lost)) if won + lost else None,
    }


def _segment_rows(deals: QuerySet[DealRegistration]) -> list[dict[str, Any]]:
    """Stage figures per segment of the deals' partners: one grouped join over memberships."""
    return list(
        deals.filter(partner__memberships__isnull=False)
        .values(segment_id=F("partner__memberships__segment_id"))
        .annotate(**_stage_figures())
    )


def deal_pipeline(
    *, currency: str, since: dt.date | None = None, segment_limit: int = 12
) -> dict[str, Any]:
    """The pipeline in one currency (amounts of different currencies are never added): per
    stage, per partner tier and stage and per segment and stage (a partner in two segments counts
    in both), registrations created since `since` when given. Three aggregate queries and two
    for the tier and segment names, whatever the number of registrations."""
    deals = DealRegistration.objects.filter(currency=currency).order_by()
    if since:
        deals = deals.filter(created_at__date__gte=since)
    total = _summary(deals.aggregate(**_stage_figures()))
    tier_rows = list(deals.values("partner__tier_id").annotate(**_stage_figures()))
    tier_ids = [row["partner__tier_id"] for row in tier_rows if row["partner__tier_id"]]
    tiers = {tier.pk: tier for tier in Tier.objects.filter(pk__in=tier_ids)}
    by_tier = sorted(
        (
            {
                "key": row["partner__tier_id"],
                "label": tiers[row["partner__tier_id"]].name
                if row["partner__tier_id"]
                else "No tier",
                "rank": tiers[row["partner__tier_id"]].rank if row["partner__tier_id"] else -1,
                **_summary(row),
            }
            for row in tier_rows
        ),
        key=lambda row: (-row["rank"], row["label"]),
    )
    segment_rows = _segment_rows(deals)
    segments = {
        segment.pk: segment
        for segment in Segment.objects.filter(pk__in=[r["segment_id"] for r in segment_rows])
    }
    by_segment = sorted(
        (
            {
                "key": row["segment_id"],
                "label": segments[row["segment_id"]].name,
                "slug": segments[row["segment_id"]].slug,
                **_summary(row),
            }
            for row in segment_rows
        ),
        key=lambda row: (-row["open_amount"], -row["count"], row["label"]),
    )
    return {
        "currency": currency,
        "since": since,
        "total": total,
        "by_tier": by_tier,
        "by_segment": by_segment[:segment_limit],
        "segment_count": len(by_segment),
    }


# -- incentive rules ------------------------------------------------------------------------


def incentive_rule_list() -> QuerySet[IncentiveRule]:
    """Every incentive rule with its segment and tier, as the rule resolver ranks them within
    a level: highest priority first."""
    return IncentiveRule.objects.select_related("segment", "tier").order_by(
        "-is_active", "currency", "min_amount", "-priority", "id"
    )


# -- end customers --------------------------------------------------------------------------


def account_list() -> QuerySet[Account]:
    """The end customers with their industry and how many registrations name them (open and
    in all): counts in subqueries, so a page is one query."""

    def count(condition: Q) -> Coalesce:
        return Coalesce(
            Subquery(
                DealRegistration.objects.filter(condition, account_id=OuterRef("pk"))
                .order_by()
                .values("account_id")
                .annotate(n=Count("id"))
                .values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    return Account.objects.select_related("industry").annotate(
        deal_count=count(Q()), open_deal_count=count(Q(status__in=OPEN_STATUSES))
    )


# -- a partner's own registrations (the partner portal) -------------------------------------


def partner_deal_list(*, partner: Partner, search: str = "", status: str = "") -> QuerySet:
    """The company's registrations with their customer, newest first, filtered by state and by
    words of the opportunity or customer name."""
    queryset = scoped(DealRegistration.objects.select_related("account"), partner=partner)
    for word in search.split():
        queryset = queryset.filter(Q(name__icontains=word) | Q(account__name__icontains=word))
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


def partner_open_pipeline(*, partner: Partner, today: dt.date) -> list[dict[str, Any]]:
    """The company's open registrations per currency (amounts in different currencies are
    never added), largest first: one grouped query."""
    return list(
        scoped(DealRegistration, partner=partner)
        .filter(open_q(today))
        .order_by()
        .values("currency")
        .annotate(amount=Sum("amount"), count=Count("id"))
        .order_by("-amount", "currency")
    )


def partner_deal_get(*, partner: Partner, pk: Any) -> DealRegistration:
    """One of the company's registrations with what its page shows (customer, products,
    history with its actors); Http404 for any other company's."""
    return scoped_get_or_404(
        DealRegistration.objects.select_related("account", "submitted_by").prefetch_related(
            "technologies",
            Prefetch(
                "transitions",
                queryset=DealTransition.objects.select_related("actor").order_by("at", "id"),
            ),
        ),
        partner=partner,
        pk=pk,
    )
