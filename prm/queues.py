"""Review queues a manager works through (partner applications, tier changes, and later deals
and leads): one definition of states, search and ordering, a list mixin (newest first,
searchable, filtered by state, paginated with the filters kept, a constant number of queries
per page) and an all-or-nothing bulk decision that goes through each row's own service.

A queue page includes templates/includes/_queue_toolbar.html (search and state tabs),
_queue_bulk.html (select all, bulk buttons) and _queue_modal.html (the Bootstrap confirmation;
static/js/queue.js drives it). Without JavaScript every action link leads to a small
confirmation page (templates/includes/queue_confirm.html) that posts the same form."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse

QUEUE_PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 200
BULK_MAX_ROWS = 500
# The list parameters a queue keeps across pages and decisions.
KEPT_PARAMETERS = ("state", "q", "page")


@dataclass(frozen=True)
class QueueState:
    """One tab of a queue: its value in the URL, its label, the rows in it; `is_open` rows
    can still be decided (approve/reject)."""

    value: str
    label: str
    rows: Q
    is_open: bool = False


@dataclass(frozen=True)
class QueueAction:
    """A decision on rows (approve, reject): `note` says what it does (in the confirmation),
    `danger` styles it, `reason_label` (when set) asks for an optional reason."""

    value: str
    label: str
    done: str  # "approved", "rejected": the message says "3 applications approved."
    note: str = ""
    danger: bool = False
    reason_label: str = ""


@dataclass(frozen=True)
class Queue:
    """A review queue: its states (the first open one is the default), the fields a search
    looks in (every word must match one of them), the order (newest first) and its actions."""

    noun: str  # "application"
    noun_plural: str  # "applications"
    states: Sequence[QueueState]
    search_fields: Sequence[str]
    ordering: Sequence[str] = ("-created_at", "-id")
    actions: Sequence[QueueAction] = ()
    page_size: int = QUEUE_PAGE_SIZE
    search_label: str = "Search"
    nav: str = ""
    default_state: str = field(default="")

    @property
    def default(self) -> str:
        return self.default_state or next(s.value for s in self.states if s.is_open)

    def state(self, value: str) -> QueueState:
        return next(s for s in self.states if s.value == value)

    def action(self, value: str) -> QueueAction:
        return next(a for a in self.actions if a.value == value)

    @property
    def open_rows(self) -> Q:
        rows = Q(pk__in=[])
        for state in self.states:
            if state.is_open:
                rows |= state.rows
        return rows

    def search(self, queryset: QuerySet, text: str) -> QuerySet:
        return search_words(queryset, text, self.search_fields)

    def state_counts(self, queryset: QuerySet) -> dict[str, int]:
        """How many rows each state holds (of the searched rows): one query."""
        return queryset.order_by().aggregate(
            **{f"count_{s.value}": Count("pk", filter=s.rows) for s in self.states}
        )


def search_words(queryset: QuerySet, text: str, fields: Sequence[str]) -> QuerySet:
    """Rows where every word of `text` is in one of `fields` (case-insensitive). Related
    fields are matched in a subquery, so a row with two matching contacts is listed once
    (portable SQL: no DISTINCT ON, no full-text search)."""
    model = queryset.model
    for word in text.split():
        matches = Q()
        for name in fields:
            matches |= Q(**{f"{name}__icontains": word})
        queryset = queryset.filter(pk__in=model._default_manager.filter(matches).values("pk"))
    return queryset


class QueueFilterForm(forms.Form):
    """The list's parameters: ?state= (a state of the queue) and ?q= (the search)."""

    state = forms.ChoiceField(required=False)
    q = forms.CharField(required=False, max_length=SEARCH_MAX_LENGTH, strip=True)

    def __init__(self, data, *, queue: Queue) -> None:
        super().__init__(data)
        self.queue = queue
        self.fields["state"].choices = [(s.value, s.label) for s in queue.states]

    def clean_state(self) -> str:
        return self.cleaned_data["state"] or self.queue.default


class RowIdsField(forms.Field):
    """Repeated row ids (?ids=3&ids=7): positive integers, each once, in the order given."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one row.",
        "invalid": "%(value)s is not a row id.",
        "too_many": f"Select at most {BULK_MAX_ROWS} rows at a time.",
    }

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple):
            value = [value]
        ids = []
        for item in value:
            text = str(item)
            if not (text.isascii() and text.isdigit() and 0 < len(text) < 19 and int(text)):
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": text[:20]}
                )
            ids.append(int(text))
        ids = list(dict.fromkeys(ids))
        if len(ids) > BULK_MAX_ROWS:
            raise ValidationError(self.error_messages["too_many"], code="too_many")
        return ids


class QueueBulkForm(forms.Form):
    """A decision on selected rows; `confirmed` is set by the modal or the confirm page."""

    ids = RowIdsField()
    action = forms.ChoiceField()
    reason = forms.CharField(required=False, max_length=2000)
    confirmed = forms.BooleanField(required=False)

    def __init__(self, data, *, queue: Queue) -> None:
        super().__init__(data)
        self.fields["action"].choices = [(a.value, a.label) for a in queue.actions]


class QueueRefused(Exception):
    """A bulk decision refused as a whole: `refused` lists the rows (label, why)."""

    def __init__(self, refused: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{label}: {why}" for label, why in refused))
        self.refused = refused


def queue_decide_all(
    *,
    queue: Queue,
    queryset: QuerySet,
    ids: Sequence[int],
    decide: Callable[[Any], Any],
    label: Callable[[Any], str] = str,
) -> int:
    """Decide every row of `ids` through `decide` (the row's own service), all or nothing:
    a row that is missing or no longer open, or that its service refuses, raises
    QueueRefused and nothing is applied (mails and signals sent on commit are dropped too).
    Returns how many rows were decided."""
    with transaction.atomic():
        rows = {row.pk: row for row in queryset.filter(pk__in=ids)}
        open_ids = set(queryset.filter(queue.open_rows, pk__in=ids).values_list("pk", flat=True))
        refused = []
        for pk in ids:
            if pk not in rows:
                refused.append((f"#{pk}", "not found"))
            elif pk not in open_ids:
                refused.append((label(rows[pk]), "already decided"))
        if refused:
            raise QueueRefused(refused)
        for pk in ids:
            try:
                decide(rows[pk])
            except ValidationError as error:
                # Undo the rows decided so far: the whole selection stays as it was.
                raise QueueRefused([(label(rows[pk]), " ".join(error.messages))]) from None
    return len(ids)


def kept_parameters(params: QueryDict) -> str:
    """The list's state, search and page as a query string (for redirects back to it)."""
    kept = QueryDict(mutable=True)
    for name in KEPT_PARAMETERS:
        value = params.get(name)
        if value:
            kept[name] = value[:SEARCH_MAX_LENGTH]
    return kept.urlencode()


class QueueListMixin:
    """A TemplateView mixin for a queue page. Subclasses set `queue`, `list_url_name`,
    `bulk_url_name`, and `queue_rows()` (the base queryset, related rows loaded so the page
    takes a constant number of queries); `decorate_page(rows)` may add display data."""

    queue: Queue
    list_url_name: str
    bulk_url_name: str

    def queue_rows(self) -> QuerySet:
        raise NotImplementedError

    def decorate_page(self, rows: list) -> list:
        return rows

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        context = self.get_context_data(**kwargs)
        status = 400 if context["queue_filter"].errors else 200
        return self.render_to_response(context, status=status)

    def queue_context(self, params: QueryDict) -> dict[str, Any]:
        form = QueueFilterForm(params, queue=self.queue)
        if form.is_valid():
            state, search = form.cleaned_data["state"], form.cleaned_data["q"]
        else:
            state, search = self.queue.default, ""
        rows = self.queue_rows()
        if search:
            rows = self.queue.search(rows, search)
        counts = self.queue.state_counts(rows)
        selected = self.queue.state(state)
        rows = rows.filter(selected.rows).order_by(*self.queue.ordering)
        if form.errors:
            rows = rows.none()
        page = Paginator(rows, self.queue.page_size).get_page(params.get("page"))
        page.object_list = self.decorate_page(list(page.object_list))
        return {
            "queue": self.queue,
            "queue_filter": form,
            "queue_state": selected,
            "queue_search": search,
            "queue_states": [
                {
                    "value": s.value,
                    "label": s.label,
                    "count": counts[f"count_{s.value}"],
                    "active": s.value == state,
                }
                for s in self.queue.states
            ],
            "queue_list_url": reverse(self.list_url_name),
            "queue_bulk_url": reverse(self.bulk_url_name),
            "queue_kept": QueryDict(kept_parameters(params)),
            "page_obj": page,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.queue_context(self.request.GET))
        return context


class QueueBulkView:
    """A decision on the selected rows of a queue. GET (a row's action link without
    JavaScript) and an unconfirmed POST (the bulk buttons without JavaScript) answer the
    confirmation page; a confirmed POST decides every row or none (409 with the refused
    rows), then goes back to the list with its filters and a message with the counts.
    Subclasses set `queue`, `list_url_name`, `list_view_class`, `queue_rows()`,
    `row_label(row)` and `decide(row, action, reason)`."""

    http_method_names = ["get", "post"]
    queue: Queue
    list_url_name: str
    list_view_class: type  # the queue's list page (a QueueListMixin view)

    def queue_rows(self) -> QuerySet:
        raise NotImplementedError

    def row_label(self, row: Any) -> str:
        return str(row)

    def decide(self, row: Any, action: QueueAction, reason: str) -> None:
        raise NotImplementedError

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self._answer(request, request.GET, may_decide=False)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self._answer(request, request.POST, may_decide=True)

    def _answer(self, request: HttpRequest, params: QueryDict, *, may_decide: bool):
        form = QueueBulkForm(params, queue=self.queue)
        if not form.is_valid():
            for name, errors in form.errors.items():
                label = "Selection" if name == "ids" else name.capitalize()
                messages.error(request, f"{label}: {' '.join(errors)}")
            return self.list_response(request, params, status=400)
        action = self.queue.action(form.cleaned_data["action"])
        ids, reason = form.cleaned_data["ids"], form.cleaned_data["reason"]
        if not (may_decide and form.cleaned_data["confirmed"]):
            rows = list(self.queue_rows().filter(pk__in=ids).order_by(*self.queue.ordering))
            open_ids = set(
                self.queue_rows()
                .filter(self.queue.open_rows, pk__in=ids)
                .values_list("pk", flat=True)
            )
            return confirm_page(
                request,
                queue=self.queue,
                action=action,
                post_url=request.path,
                back_url=queue_list_url(self.list_url_name, params),
                # A row decided meanwhile stays in the list (confirming it answers 409).
                items=[
                    self.row_label(row)
                    + ("" if row.pk in open_ids else " (already decided, refused)")
                    for row in rows
                ],
                ids=[row.pk for row in rows],
                kept=kept_parameters(params),
                reason=reason,
            )
        try:
            count = queue_decide_all(
                queue=self.queue,
                queryset=self.queue_rows(),
                ids=ids,
                decide=lambda row: self.decide(row, action, reason),
                label=self.row_label,
            )
        except QueueRefused as refused:
            messages.error(
                request,
                f"Nothing was {action.done}: {len(refused.refused)} of the {len(ids)} selected "
                f"{self.queue.noun_plural} cannot be {action.done} ({refused}).",
            )
            return self.list_response(request, params, status=409)
        noun = self.queue.noun if count == 1 else self.queue.noun_plural
        messages.success(request, f"{count} {noun} {action.done}.")
        return redirect(queue_list_url(self.list_url_name, params))

    def list_response(self, request: HttpRequest, params: QueryDict, *, status: int):
        return queue_list_response(
            request, view_class=self.list_view_class, params=params, status=status
        )


def queue_list_url(url_name: str, params: QueryDict) -> str:
    """The queue's list URL with the state, search and page of `params`."""
    kept = kept_parameters(params)
    return reverse(url_name) + (f"?{kept}" if kept else "")


def queue_list_response(
    request: HttpRequest, *, view_class: type, params: QueryDict, status: int
) -> HttpResponse:
    """The queue page (a QueueListMixin view) as the form came from (the state, search and
    page of `params`), with the messages of this request: how a refused decision is
    answered."""
    # The list reads its filters from the query string (and its pagination links keep
    # them): give it the ones the form carried.
    request.GET = QueryDict(kept_parameters(params))
    view = view_class()
    view.setup(request)
    return view.render_to_response(view.get_context_data(), status=status)


def confirm_page(
    request: HttpRequest,
    *,
    queue: Queue,
    action: QueueAction,
    post_url: str,
    back_url: str,
    items: Iterable[str],
    ids: Sequence[int] = (),
    kept: str = "",
    reason: str = "",
    reason_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation of a decision as a page (the path without JavaScript): what is about
    to happen to which rows, and the form that does it."""
    items = list(items)
    return render(
        request,
        "includes/queue_confirm.html",
        {
            "queue": queue,
            "action": action,
            "post_url": post_url,
            "back_url": back_url,
            "items": items,
            "ids": ids,
            "kept": QueryDict(kept),
            "reason": reason,
            "reason_form": reason_form,
            "nav": queue.nav,
            "noun": queue.noun if len(items) == 1 else queue.noun_plural,
        },
        status=status,
    )
