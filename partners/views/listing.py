"""The partner list's query and pages, shared by the list page and its export.

Filters, search and ordering are the API's own: PartnerFilterSet, and DRF's SearchFilter and
OrderingFilter configured from PartnerViewSet, so `/partners/?<query>` and
`/api/partners/?<query>` always select and order the same partners.

Pages never count the filtered set: a page fetches page_size + 1 rows to know whether a next
page exists, and the total shown is the planner's estimate (unfiltered) or a count capped at
COUNT_CAP ("10,000+"), one bounded query either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.request import Request as ApiRequest

from partners import selectors
from partners.api.views import PartnerViewSet
from partners.filters import PartnerFilterSet, search_result_ordering
from partners.models import Partner

PAGE_SIZE = 50
COUNT_CAP = 10_000
# Query parameters that are not filters (they do not make a list "filtered").
NON_FILTER_PARAMS = frozenset({"page", "ordering", "file_format"})


class _ApiListOptions:
    """What DRF's search and ordering backends read from a view: the API's own settings."""

    search_fields = PartnerViewSet.search_fields
    ordering_fields = PartnerViewSet.ordering_fields
    ordering = PartnerViewSet.ordering


@dataclass
class PartnerListQuery:
    filterset: PartnerFilterSet
    queryset: QuerySet[Partner] | None  # None when the filters are invalid
    ordering: list[str]
    is_filtered: bool
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_valid(self) -> bool:
        return self.queryset is not None


def partner_list_query(request: HttpRequest) -> PartnerListQuery:
    """The partners selected by the request's query string, exactly as the API selects them."""
    filterset = PartnerFilterSet(data=request.GET, queryset=selectors.partner_list())
    is_filtered = any(
        value.strip()
        for key, values in request.GET.lists()
        if key not in NON_FILTER_PARAMS
        for value in values
    )
    api_request = ApiRequest(request)
    ordering = OrderingFilter().get_ordering(api_request, Partner.objects.none(), _ApiListOptions)
    ordering = list(ordering or _ApiListOptions.ordering)
    if not filterset.is_valid():
        errors = {name: list(messages) for name, messages in filterset.errors.items()}
        return PartnerListQuery(filterset, None, ordering, is_filtered, errors)
    try:
        queryset = SearchFilter().filter_queryset(api_request, filterset.qs, _ApiListOptions)
    except ApiValidationError as error:
        messages = error.detail if isinstance(error.detail, list) else [str(error.detail)]
        return PartnerListQuery(
            filterset, None, ordering, is_filtered, {"search": [str(m) for m in messages]}
        )
    # The API's ordering, made total with the id so that pages never overlap or skip rows.
    tie_break = [] if {"id", "-id"} & set(ordering) else ["id"]
    order_by = [*ordering, *tie_break]
    if SearchFilter().get_search_terms(api_request):
        order_by = search_result_ordering(order_by)
    return PartnerListQuery(filterset, queryset.order_by(*order_by), ordering, is_filtered)


@dataclass
class Total:
    """How many partners a list has, as cheaply as it can be known."""

    value: int
    kind: str  # "exact", "estimate" (≈, the planner's statistics) or "at_least" (value+)


def partner_list_total(*, queryset: QuerySet[Partner], is_filtered: bool) -> Total:
    """Unfiltered: the table estimate when it is large; else a count capped at COUNT_CAP."""
    if not is_filtered:
        estimate = selectors.partner_count_estimate()
        if estimate is not None and estimate > COUNT_CAP:
            return Total(estimate, "estimate")
    count, more = selectors.partner_count_capped(queryset=queryset, limit=COUNT_CAP)
    return Total(count, "at_least" if more else "exact")


class CountFreePaginator:
    """Stands in for Django's Paginator in templates: it knows no count."""

    count = None

    def __init__(self, per_page: int):
        self.per_page = per_page


@dataclass
class CountFreePage:
    """One page of rows, found with a LIMIT of page_size + 1 (the extra row means "next")."""

    object_list: list
    number: int
    paginator: CountFreePaginator
    has_next_row: bool

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self.has_next_row

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        if not self.object_list:
            return 0
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + len(self.object_list)


def without_empty_values(query: QueryDict) -> QueryDict | None:
    """The query without its empty values (an HTML form sends one for every field left blank),
    in the same order; None when it has none. An empty value filters nothing."""
    if all(value.strip() for _key, values in query.lists() for value in values):
        return None
    clean = QueryDict(mutable=True)
    for key, values in query.lists():
        kept = [value for value in values if value.strip()]
        if kept:
            clean.setlist(key, kept)
    return clean


def page_number(raw: str | None) -> int:
    """?page= as a positive number; anything else is the first page."""
    try:
        number = int(raw or 1)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def count_free_page(*, queryset: QuerySet, number: int, per_page: int = PAGE_SIZE) -> CountFreePage:
    """Page `number` of the queryset, without counting it (one query, plus its prefetches)."""
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    return CountFreePage(
        object_list=rows[:per_page],
        number=number,
        paginator=CountFreePaginator(per_page),
        has_next_row=len(rows) > per_page,
    )


# The filter sidebar and the active-filter chips ----------------------------------------------

RANGE_FILTERS = (
    # name, label, (lower suffix, upper suffix), input type, step
    ("annual_revenue", "Annual revenue", ("min", "max"), "number", "any"),
    ("revenue_12m", "Revenue, last 12 months", ("min", "max"), "number", "any"),
    ("deals_won_12m", "Deals won, last 12 months", ("min", "max"), "number", "1"),
    ("employee_count", "Employees", ("min", "max"), "number", "1"),
    ("engagement_score", "Engagement score", ("min", "max"), "number", "any"),
    ("tech_savviness", "Tech savviness (1-5)", ("min", "max"), "number", "1"),
    ("joined_at", "Joined", ("after", "before"), "date", None),
    ("last_activity_at", "Last activity", ("after", "before"), "date", None),
)
# The sidebar's "More" section.
MORE_FILTERS = ("has_tier", "has_certification", "attributes")
BOUND_WORDS = {"min": "≥", "max": "≤", "after": "from", "before": "until"}


def split_values(values: list[str]) -> list[str]:
    """Repeated and comma-separated values, as the FilterSet's widget reads them."""
    return sorted({part.strip() for value in values for part in value.split(",")} - {""})


def filter_sidebar(
    request: HttpRequest,
    *,
    options: dict[str, list[tuple[str, str]]],
    errors: dict[str, list[str]],
) -> dict:
    """What the sidebar shows: each filter with its options, the selected values and errors.
    `options` gives the choices of the multi-value filters {name: [(value, label)]}."""
    selected = {name: set(split_values(request.GET.getlist(name))) for name in options}
    ranges = []
    for name, label, (low, high), input_type, step in RANGE_FILTERS:
        ranges.append(
            {
                "name": name,
                "label": label,
                "low_name": f"{name}_{low}",
                "high_name": f"{name}_{high}",
                "low": request.GET.get(f"{name}_{low}", ""),
                "high": request.GET.get(f"{name}_{high}", ""),
                "input_type": input_type,
                "step": step,
            }
        )
    shown = {*options, *MORE_FILTERS, "page"}
    shown.update(name for r in ranges for name in (r["low_name"], r["high_name"]))
    return {
        "selected": selected,
        "ranges": ranges,
        # Filters the sidebar has no input for (e.g. from a link): kept when it is applied.
        "hidden": [
            (key, value)
            for key, values in request.GET.lists()
            if key not in shown
            for value in values
        ],
        "range_open": any(r["low"] or r["high"] or r["name"] in errors for r in ranges),
        "more_open": bool(
            any(request.GET.get(name) for name in MORE_FILTERS) or "attributes" in errors
        ),
    }


def active_filter_chips(
    request: HttpRequest, *, labels: dict[str, str], options: dict[str, list[tuple[str, str]]]
) -> list[dict[str, str]]:
    """One removable chip per active filter value: {label, value, url (the list without it)}."""
    range_labels = {}
    for name, label, suffixes, _, _ in RANGE_FILTERS:
        for suffix in suffixes:
            range_labels[f"{name}_{suffix}"] = f"{label} {BOUND_WORDS[suffix]}"
    chips = []
    for key in request.GET:
        if key in NON_FILTER_PARAMS:
            continue
        multi = key in options
        raw_values = request.GET.getlist(key)
        values = split_values(raw_values) if multi else [v for v in raw_values if v.strip()]
        names = dict(options.get(key, ()))
        for value in values:
            remaining = request.GET.copy()
            remaining.pop("page", None)
            others = [other for other in values if other != value]
            if others:
                remaining.setlist(key, others)
            else:
                remaining.pop(key, None)
            chips.append(
                {
                    "label": labels.get(key) or range_labels.get(key) or key.replace("_", " "),
                    "value": names.get(value, value),
                    "url": "?" + remaining.urlencode(),
                }
            )
    return chips
