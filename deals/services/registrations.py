"""The life of a deal registration: every state change is a service here, recorded with who,
when and why (DealTransition), refused with DealTransitionError when the current state does
not allow it, and announced after commit (deals.signals, and partners_changed so segments
re-check the partner's deal figures)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django_countries import countries

from deals import signals
from deals.conflicts import conflicts_lock, conflicts_record
from deals.incentives import IncentiveQuote, incentive_resolve
from deals.models import (
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
)
from deals.services.accounts import account_get_or_create, normalize_domain
from deals.services.sla import add_business_days
from deals.stats import deal_stats_refresh
from partners.models import Industry, Partner, Technology
from partners.scoping import user_contact
from partners.services import partners_mark_changed
from prm.formatting import is_currency
from prm.uploads import upload_check

AMOUNT_MAX = Decimal("1000000000000")  # a trillion: beyond it, a typo
NOTES_MAX_LENGTH = 10_000
REASON_MAX_LENGTH = 2_000
# The segment fields a registration's change can move (deals/stats.py keeps them).
DEAL_FIELDS = (
    "deals_registered_12m",
    "deals_approved_12m",
    "deal_win_rate_12m",
    "open_pipeline_amount",
)

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({DealStatus.DRAFT}), DealStatus.SUBMITTED),
    "approve": (frozenset({DealStatus.SUBMITTED}), DealStatus.APPROVED),
    "auto_approve": (frozenset({DealStatus.SUBMITTED}), DealStatus.APPROVED),
    "reject": (frozenset({DealStatus.SUBMITTED}), DealStatus.REJECTED),
    "withdraw": (frozenset({DealStatus.SUBMITTED}), DealStatus.WITHDRAWN),
    "won": (frozenset({DealStatus.APPROVED}), DealStatus.WON),
    "lost": (frozenset({DealStatus.APPROVED}), DealStatus.LOST),
    "expire": (frozenset({DealStatus.APPROVED}), DealStatus.EXPIRED),
}


class DealTransitionError(Exception):
    """The registration's state does not allow the action (HTTP 409 with the state)."""

    def __init__(self, detail: str, *, state: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.state = state


# -- validation ---------------------------------------------------------------------------


def _amount(value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, TypeError, ValueError):
        errors.setdefault("amount", []).append("Enter an amount, e.g. 125000.00.")
        return None
    if not amount.is_finite() or amount <= 0:
        errors.setdefault("amount", []).append("The amount must be more than 0.")
    elif amount >= AMOUNT_MAX:
        errors.setdefault("amount", []).append("The amount must be less than 1,000,000,000,000.")
    return amount


def _currency(value: Any, errors: dict[str, list[str]]) -> str:
    currency = str(value or "").strip().upper()
    if len(currency) != 3 or not is_currency(currency):
        errors.setdefault("currency", []).append(
            f"{value!r} is not an ISO 4217 currency code, e.g. USD or EUR."
        )
    return currency


def _close_date(value: Any, errors: dict[str, list[str]]) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors.setdefault("expected_close_date", []).append("Enter a date as YYYY-MM-DD.")
            return None
    if not isinstance(value, dt.date):
        errors.setdefault("expected_close_date", []).append("Enter the expected close date.")
        return None
    if value < timezone.localdate():
        errors.setdefault("expected_close_date", []).append(
            "The expected close date is in the past."
        )
    return value


def _country(value: Any, errors: dict[str, list[str]]) -> str | None:
    code = str(value or "").strip().upper()
    if not code:
        return None
    if code not in countries:
        errors.setdefault("account_country", []).append(
            f"{value!r} is not an ISO 3166 country code, e.g. DE or US."
        )
    return code


def _domain(value: Any, errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if text and not normalize_domain(text):
        errors.setdefault("account_domain", []).append(
            f"{text[:100]!r} is not a web domain, e.g. acme.com or https://www.acme.co.uk."
        )
    return text


ATTACHMENT_TYPES = ("pdf", "docx", "pptx", "xlsx", "png", "jpg", "jpeg", "txt", "zip")


def _attachment(file: Any, errors: dict[str, list[str]]) -> Any:
    if not file:
        return ""
    try:
        upload_check(
            file=file,
            limit=settings.PRM_DEAL_ATTACHMENT_MAX_BYTES,
            field="attachment",
            extensions=ATTACHMENT_TYPES,
        )
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return file


def _technologies(values: Iterable[Any], errors: dict[str, list[str]]) -> list[Technology]:
    wanted = list(values or ())
    slugs = [value for value in wanted if not isinstance(value, Technology)]
    objects = [value for value in wanted if isinstance(value, Technology)]
    if slugs:
        found = {t.slug: t for t in Technology.objects.filter(slug__in=[str(s) for s in slugs])}
        unknown = sorted({str(s) for s in slugs} - set(found))
        if unknown:
            errors.setdefault("technologies", []).append(
                "Unknown technologies: " + ", ".join(unknown) + "."
            )
        objects.extend(found.values())
    return objects


def _check_acting_for(*, user, partner: Partner) -> None:
    """A partner user acts only for their own company."""
    if user is None or getattr(user, "is_staff", False):
        return
    contact = user_contact(user)
    if contact is None or contact.partner_id != partner.pk:
        raise ValidationError({"partner": ["You can register deals for your own company only."]})


def _require_manager(user) -> None:
    """Decisions on registrations are the vendor's: a channel manager (staff) or the system
    (user None: the auto-approval and the sweeps)."""
    if user is not None and not getattr(user, "is_staff", False):
        raise PermissionDenied("Only a channel manager decides on registrations.")


def _text(value: Any, *, field: str, limit: int, errors: dict[str, list[str]]) -> str:
    text = str(value or "").strip()
    if len(text) > limit:
        errors.setdefault(field, []).append(f"At most {limit:,} characters.")
    return text


# -- the record of a transition -------------------------------------------------------------


def _lock(deal: DealRegistration) -> DealRegistration:
    return (
        DealRegistration.objects.select_for_update(of=("self",))
        .select_related("account", "partner")
        .get(pk=deal.pk)
    )


def _refuse_unless(deal: DealRegistration, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if deal.status not in sources:
        allowed = " or ".join(sorted(DealStatus(state).label.lower() for state in sources))
        verb = ACTION_VERBS.get(action, action.replace("_", " "))
        current = deal.get_status_display().lower()
        raise DealTransitionError(
            f"Cannot {verb} {_article(current)} {current} registration "
            f"(only {_article(allowed)} {allowed} one).",
            state=deal.status,
        )
    return target


# How a refusal names an action: "Cannot mark won a draft registration".
ACTION_VERBS = {"won": "mark won", "lost": "mark lost", "auto_approve": "approve"}


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


# Inside a bulk decision (and the demo's history) the transitions' announcements are held
# here: the partners' figures are refreshed and their segments told once for the lot, and the
# bulk sends one signal with every id, so receivers (the partners' notices) work on the lot
# at once.
_held_signals: ContextVar[list[dict] | None] = ContextVar("deals_held_signals", default=None)


@contextmanager
def _held() -> Iterator[list[dict]]:
    held: list[dict] = []
    token = _held_signals.set(held)
    try:
        yield held
    finally:
        _held_signals.reset(token)
    _announce_many(payload["partner_id"] for payload in held)


@contextmanager
def deal_transitions_unannounced() -> Iterator[None]:
    """Transitions made inside are recorded, and move the partners' figures and segments (once
    for all, at the end), but send no deal_transitioned: for a back-dated history (the
    demo's), of which nobody is to be told now."""
    with _held():
        yield


def _announce(deal: DealRegistration, *, action: str, from_status: str, user, reason: str) -> None:
    payload = {
        "deal_ids": [deal.pk],
        "action": action,
        "from_status": from_status,
        "to_status": deal.status,
        "actor_id": getattr(user, "pk", None),
        "reason": reason,
    }
    held = _held_signals.get()
    if held is not None:
        held.append({**payload, "partner_id": deal.partner_id})
        return
    _announce_many([deal.partner_id])
    transaction.on_commit(
        lambda: signals.deal_transitioned.send(sender=DealRegistration, **payload)
    )


def _send_held(held: list[dict]) -> None:
    """One deal_transitioned after commit per kind of transition held, with all its ids."""
    grouped: dict[tuple, list[int]] = {}
    for payload in held:
        key = tuple(payload[name] for name in ("action", "from_status", "to_status"))
        key += (payload["actor_id"], payload["reason"])
        grouped.setdefault(key, []).extend(payload["deal_ids"])
    for (action, from_status, to_status, actor_id, reason), deal_ids in grouped.items():
        payload = {
            "deal_ids": deal_ids,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "actor_id": actor_id,
            "reason": reason,
        }
        transaction.on_commit(
            lambda payload=payload: signals.deal_transitioned.send(
                sender=DealRegistration, **payload
            )
        )


def _record(
    deal: DealRegistration,
    *,
    action: str,
    from_status: str,
    user,
    reason: str = "",
    update_fields: Sequence[str] = (),
) -> DealRegistration:
    deal.save(update_fields=[*update_fields, "updated_at"])
    DealTransition.objects.create(
        deal=deal,
        from_status=from_status,
        to_status=deal.status,
        action=action,
        actor=user if getattr(user, "pk", None) else None,
        reason=reason,
    )
    _announce(deal, action=action, from_status=from_status, user=user, reason=reason)
    return deal


def _transition(
    deal: DealRegistration, *, action: str, user, reason: str = "", **changes: Any
) -> DealRegistration:
    target = _refuse_unless(deal, action)
    from_status = deal.status
    deal.status = target
    for name, value in changes.items():
        setattr(deal, name, value)
    return _record(
        deal,
        action=action,
        from_status=from_status,
        user=user,
        reason=reason,
        update_fields=["status", *changes],
    )


# -- drafting -------------------------------------------------------------------------------


@transaction.atomic
def deal_create(
    *,
    partner: Partner,
    user,
    account_name: str,
    account_domain: str = "",
    account_country: str | None = None,
    account_industry: Industry | None = None,
    name: str,
    amount: Any,
    currency: str,
    expected_close_date: Any,
    technologies: Iterable[Any] = (),
    notes: str = "",
    attachment=None,
    submit: bool = False,
) -> DealRegistration:
    """A draft registration for `partner` (submitted at once with submit=True); the customer's
    Account is found again or created. Raises ValidationError with every bad field."""
    _check_acting_for(user=user, partner=partner)
    errors: dict[str, list[str]] = {}
    account_name = _text(account_name, field="account_name", limit=200, errors=errors)
    if not account_name:
        errors.setdefault("account_name", []).append("Name the end customer.")
    account_domain = _domain(account_domain, errors)
    account_country = _country(account_country, errors)
    name = _text(name, field="name", limit=200, errors=errors)
    if not name:
        errors.setdefault("name", []).append("Name the opportunity.")
    money = _amount(amount, errors)
    currency = _currency(currency, errors)
    close = _close_date(expected_close_date, errors)
    notes = _text(notes, field="notes", limit=NOTES_MAX_LENGTH, errors=errors)
    tags = _technologies(technologies, errors)
    attachment = _attachment(attachment, errors)
    if errors:
        raise ValidationError(errors)
    account = account_get_or_create(
        name=account_name,
        domain=account_domain,
        country=account_country,
        industry=account_industry,
    )
    deal = DealRegistration.objects.create(
        partner=partner,
        submitted_by=user if getattr(user, "pk", None) else None,
        account=account,
        name=name,
        amount=money,
        currency=currency,
        expected_close_date=close,
        notes=notes,
        attachment=attachment,
    )
    if tags:
        deal.technologies.set(tags)
    DealTransition.objects.create(
        deal=deal,
        from_status="",
        to_status=DealStatus.DRAFT,
        action="create",
        actor=deal.submitted_by,
    )
    if submit:
        return deal_submit(deal=deal, user=user)
    return deal


@transaction.atomic
def deal_update(*, deal: DealRegistration, user, **fields: Any) -> DealRegistration:
    """Edit a draft (the fields of deal_create except partner); a submitted registration is
    frozen: DealTransitionError."""
    deal = _lock(deal)
    _check_acting_for(user=user, partner=deal.partner)
    if deal.status != DealStatus.DRAFT:
        raise DealTransitionError(
            "Only a draft can be edited; this registration is "
            f"{deal.get_status_display().lower()}.",
            state=deal.status,
        )
    errors: dict[str, list[str]] = {}
    unknown = sorted(
        set(fields)
        - {
            "account_name", "account_domain", "account_country", "account_industry", "name",
            "amount", "currency", "expected_close_date", "technologies", "notes", "attachment",
        }
    )  # fmt: skip
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    if "name" in fields:
        deal.name = _text(fields["name"], field="name", limit=200, errors=errors)
        if not deal.name:
            errors.setdefault("name", []).append("Name the opportunity.")
    if "amount" in fields:
        deal.amount = _amount(fields["amount"], errors)
    if "currency" in fields:
        deal.currency = _currency(fields["currency"], errors)
    if "expected_close_date" in fields:
        deal.expected_close_date = _close_date(fields["expected_close_date"], errors)
    if "notes" in fields:
        deal.notes = _text(fields["notes"], field="notes", limit=NOTES_MAX_LENGTH, errors=errors)
    tags = _technologies(fields["technologies"], errors) if "technologies" in fields else None
    attachment = _attachment(fields.get("attachment"), errors) if "attachment" in fields else None
    account_fields = {k for k in fields if k.startswith("account_")}
    if account_fields:
        account_name = _text(
            fields.get("account_name", deal.account.name),
            field="account_name",
            limit=200,
            errors=errors,
        )
        if not account_name:
            errors.setdefault("account_name", []).append("Name the end customer.")
        if "account_domain" in fields:
            _domain(fields["account_domain"], errors)
        if "account_country" in fields:
            _country(fields["account_country"], errors)
    if errors:
        raise ValidationError(errors)
    if account_fields:
        deal.account = account_get_or_create(
            name=account_name,
            domain=fields.get("account_domain", deal.account.domain),
            country=fields.get("account_country", deal.account.country),
            industry=fields.get("account_industry", deal.account.industry),
        )
    if "attachment" in fields:
        deal.attachment = attachment
    deal.save()
    if tags is not None:
        deal.technologies.set(tags)
    return deal


# -- review ---------------------------------------------------------------------------------


def _lock_incentive(deal: DealRegistration, quote: IncentiveQuote | None) -> list[str]:
    """Write the incentive of `quote` on the deal and start its protection; the fields set."""
    today = timezone.localdate()
    if quote is None:
        deal.incentive_rule = None
        deal.discount_pct = Decimal("0")
        deal.rebate_pct = Decimal("0")
        deal.protection_days = settings.PRM_DEAL_DEFAULT_PROTECTION_DAYS
        deal.incentive_explanation = {
            "rule": None,
            "why": "no incentive rule matches this deal: no discount or rebate, the default "
            "protection",
            "amount": str(deal.amount),
            "currency": deal.currency,
            "candidates": [],
        }
    else:
        deal.incentive_rule = quote.rule
        deal.discount_pct = quote.discount_pct
        deal.rebate_pct = quote.rebate_pct
        deal.protection_days = quote.protection_days
        deal.incentive_explanation = quote.explanation
    deal.protection_ends_on = today + dt.timedelta(days=deal.protection_days)
    deal.decided_at = timezone.now()
    return [
        "incentive_rule", "discount_pct", "rebate_pct", "protection_days",
        "incentive_explanation", "protection_ends_on", "decided_at",
    ]  # fmt: skip


def _approve(deal: DealRegistration, *, user, reason: str, action: str) -> DealRegistration:
    target = _refuse_unless(deal, action)
    from_status = deal.status
    quote = incentive_resolve(partner=deal.partner, amount=deal.amount, currency=deal.currency)
    fields = _lock_incentive(deal, quote)
    deal.status = target
    deal.decided_by = user if getattr(user, "pk", None) else None
    deal.decision_reason = reason
    return _record(
        deal,
        action=action,
        from_status=from_status,
        user=user,
        reason=reason,
        update_fields=["status", "decided_by", "decision_reason", *fields],
    )


@transaction.atomic
def deal_submit(*, deal: DealRegistration, user) -> DealRegistration:
    """Submit a draft for review: conflicts with other partners' open registrations for the
    customer are flagged, the review is due by the SLA, and a deal the incentive rule
    auto-approves (under its limit, no conflict) is approved at once."""
    deal = _lock(deal)
    _check_acting_for(user=user, partner=deal.partner)
    _refuse_unless(deal, "submit")
    errors: dict[str, list[str]] = {}
    _close_date(deal.expected_close_date, errors)
    if errors:
        raise ValidationError(errors)
    conflicts_lock(deal=deal)
    conflicts_record(deal=deal)
    now = timezone.now()
    deal = _transition(
        deal,
        action="submit",
        user=user,
        submitted_at=now,
        review_due_at=add_business_days(now, settings.PRM_DEAL_REVIEW_BUSINESS_DAYS),
        has_conflict=deal.has_conflict,
    )
    if not deal.has_conflict:
        quote = incentive_resolve(partner=deal.partner, amount=deal.amount, currency=deal.currency)
        if quote is not None and quote.auto_approves(deal.amount):
            deal = _approve(
                deal,
                user=None,
                reason=f"Auto-approved: under {quote.auto_approve_below} {quote.rule.currency} "
                f"({quote.rule.name}).",
                action="auto_approve",
            )
    return deal


@transaction.atomic
def deal_approve(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    """Approve a submitted registration, locking in the incentive that applies now."""
    _require_manager(user)
    deal = _lock(deal)
    return _approve(deal, user=user, reason=_clean_reason(reason, required=False), action="approve")


@transaction.atomic
def deal_reject(*, deal: DealRegistration, user, reason: str) -> DealRegistration:
    """Reject a submitted registration; the partner is told the reason."""
    _require_manager(user)
    deal = _lock(deal)
    reason = _clean_reason(reason, required=True)
    return _transition(
        deal,
        action="reject",
        user=user,
        reason=reason,
        decided_at=timezone.now(),
        decided_by=user if getattr(user, "pk", None) else None,
        decision_reason=reason,
    )


@transaction.atomic
def deal_withdraw(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    """The partner takes back a registration still under review."""
    deal = _lock(deal)
    _check_acting_for(user=user, partner=deal.partner)
    return _transition(
        deal, action="withdraw", user=user, reason=_clean_reason(reason, required=False)
    )


def _close(deal: DealRegistration, *, action: str, user, reason: str) -> DealRegistration:
    deal = _lock(deal)
    _check_acting_for(user=user, partner=deal.partner)
    return _transition(
        deal,
        action=action,
        user=user,
        reason=_clean_reason(reason, required=False),
        closed_at=timezone.now(),
    )


@transaction.atomic
def deal_mark_won(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    return _close(deal, action="won", user=user, reason=reason)


@transaction.atomic
def deal_mark_lost(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    return _close(deal, action="lost", user=user, reason=reason)


def _clean_reason(reason: Any, *, required: bool) -> str:
    text = str(reason or "").strip()
    if required and not text:
        raise ValidationError({"reason": ["Give the reason: the partner is told it."]})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"At most {REASON_MAX_LENGTH:,} characters."]})
    return text


# -- protection extension --------------------------------------------------------------------


@transaction.atomic
def deal_extension_request(
    *, deal: DealRegistration, user, days: Any, reason: str
) -> DealRegistration:
    """The partner asks, once per deal, for `days` more protection of an approved deal."""
    deal = _lock(deal)
    _check_acting_for(user=user, partner=deal.partner)
    if deal.status != DealStatus.APPROVED:
        raise DealTransitionError(
            "Only an approved registration's protection can be extended.", state=deal.status
        )
    if deal.extension_status != ExtensionStatus.NONE:
        raise DealTransitionError(
            "An extension was already asked for this registration "
            f"({deal.get_extension_status_display().lower()}).",
            state=deal.status,
        )
    maximum = settings.PRM_DEAL_EXTENSION_MAX_DAYS
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise ValidationError({"days": ["Enter a whole number of days."]}) from None
    if not 1 <= days <= maximum:
        raise ValidationError({"days": [f"Between 1 and {maximum} days."]})
    reason = _clean_reason(reason, required=True)
    deal.extension_status = ExtensionStatus.REQUESTED
    deal.extension_days = days
    deal.extension_reason = reason
    return _record(
        deal,
        action="extension_request",
        from_status=deal.status,
        user=user,
        reason=reason,
        update_fields=["extension_status", "extension_days", "extension_reason"],
    )


def _extension_decide(
    deal: DealRegistration, *, user, reason: str, approve: bool
) -> DealRegistration:
    _require_manager(user)
    deal = _lock(deal)
    if deal.status != DealStatus.APPROVED or deal.extension_status != ExtensionStatus.REQUESTED:
        raise DealTransitionError(
            "No extension of this registration is waiting for a decision.", state=deal.status
        )
    fields = ["extension_status"]
    if approve:
        deal.extension_status = ExtensionStatus.APPROVED
        deal.protection_ends_on = deal.protection_ends_on + dt.timedelta(days=deal.extension_days)
        deal.expiry_reminded_at = None  # remind again before the new end
        fields += ["protection_ends_on", "expiry_reminded_at"]
    else:
        deal.extension_status = ExtensionStatus.REJECTED
    return _record(
        deal,
        action="extension_approve" if approve else "extension_reject",
        from_status=deal.status,
        user=user,
        reason=_clean_reason(reason, required=not approve),
        update_fields=fields,
    )


@transaction.atomic
def deal_extension_approve(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    return _extension_decide(deal, user=user, reason=reason, approve=True)


@transaction.atomic
def deal_extension_reject(*, deal: DealRegistration, user, reason: str = "") -> DealRegistration:
    return _extension_decide(deal, user=user, reason=reason, approve=False)


# -- bulk decisions and sweeps ---------------------------------------------------------------

BULK_MAX = 500


@transaction.atomic
def deals_bulk_decide(
    *, deal_ids: Iterable[int], user, decision: str, reason: str = ""
) -> list[DealRegistration]:
    """Approve or reject many submitted registrations, all or none: when one is no longer
    submitted, DealTransitionError names them and nothing is decided. One deal_transitioned
    signal, after commit, carries every id decided."""
    _require_manager(user)
    if decision not in ("approve", "reject"):
        raise ValidationError({"decision": ["Choose approve or reject."]})
    ids = sorted({int(pk) for pk in deal_ids})
    if not ids:
        raise ValidationError({"deal_ids": ["Choose at least one registration."]})
    if len(ids) > BULK_MAX:
        raise ValidationError({"deal_ids": [f"At most {BULK_MAX} registrations at once."]})
    reason = _clean_reason(reason, required=decision == "reject")
    deals = list(
        DealRegistration.objects.select_for_update(of=("self",))
        .select_related("account", "partner")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    missing = sorted(set(ids) - {deal.pk for deal in deals})
    if missing:
        raise ValidationError({"deal_ids": [f"No such registrations: {missing}."]})
    stale = [deal.pk for deal in deals if deal.status != DealStatus.SUBMITTED]
    if stale:
        raise DealTransitionError(
            f"Registrations {stale} are no longer submitted; nothing was decided.",
            state="mixed" if len(stale) < len(deals) else deals[0].status,
        )
    service = deal_approve if decision == "approve" else deal_reject
    with _held() as held:
        decided = [service(deal=deal, user=user, reason=reason) for deal in deals]
    _send_held(held)
    return decided


def _announce_many(partner_ids: Iterable[int]) -> None:
    partner_ids = sorted(set(partner_ids))
    if partner_ids:
        deal_stats_refresh(partner_ids=partner_ids)
        partners_mark_changed(partner_ids=partner_ids, reason="deals", fields=DEAL_FIELDS)


def _update_returning(assignments: str, condition: str, params: list, returning: str) -> list:
    """One UPDATE of the registrations matching `condition`, returning `returning` of each:
    every row written once (no lock pass before, no list of ids sent back). Two sweeps at once
    stay safe: the second waits for the first's rows, then finds them no longer matching."""
    table = DealRegistration._meta.db_table
    ops = connection.ops
    params = [
        ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.datetime)
        else ops.adapt_datefield_value(value)
        if isinstance(value, dt.date)
        else value
        for value in params
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} WHERE {condition} RETURNING {returning}", params
        )
        return cursor.fetchall()


@transaction.atomic
def deals_mark_overdue(*, now: dt.datetime | None = None) -> list[int]:
    """Submitted registrations past their review time, not yet marked: marked now, and their
    channel managers told after commit. Safe to run twice (a marked deal is not marked again)."""
    now = now or timezone.now()
    rows = _update_returning(
        "overdue_at = %s, updated_at = %s",
        "status = %s AND review_due_at < %s AND overdue_at IS NULL",
        [now, now, DealStatus.SUBMITTED, now],
        "id",
    )
    ids = sorted(row[0] for row in rows)
    if not ids:
        return []
    transaction.on_commit(
        lambda: signals.deals_review_overdue.send(sender=DealRegistration, deal_ids=ids)
    )
    return ids


@transaction.atomic
def deals_remind_expiring(*, today: dt.date | None = None) -> list[int]:
    """Approved registrations whose protection ends within PRM_DEAL_EXPIRY_REMINDER_DAYS and
    that were not reminded yet: marked reminded, the partners told after commit."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=settings.PRM_DEAL_EXPIRY_REMINDER_DAYS)
    now = timezone.now()
    rows = _update_returning(
        "expiry_reminded_at = %s, updated_at = %s",
        "status = %s AND protection_ends_on >= %s AND protection_ends_on <= %s"
        " AND expiry_reminded_at IS NULL",
        [now, now, DealStatus.APPROVED, today, horizon],
        "id",
    )
    ids = sorted(row[0] for row in rows)
    if not ids:
        return []
    transaction.on_commit(
        lambda: signals.deals_expiry_near.send(sender=DealRegistration, deal_ids=ids)
    )
    return ids


@transaction.atomic
def deals_expire_due(*, today: dt.date | None = None) -> list[int]:
    """Approved registrations whose protection ended before `today`: expired, each with its
    transition, in three statements whatever their number."""
    today = today or timezone.localdate()
    now = timezone.now()
    rows = sorted(
        _update_returning(
            "status = %s, closed_at = %s, updated_at = %s",
            "status = %s AND protection_ends_on < %s",
            [DealStatus.EXPIRED, now, now, DealStatus.APPROVED, today],
            "id, partner_id",
        )
    )
    if not rows:
        return []
    ids = [deal_id for deal_id, _ in rows]
    DealTransition.objects.bulk_create(
        [
            DealTransition(
                deal_id=deal_id,
                from_status=DealStatus.APPROVED,
                to_status=DealStatus.EXPIRED,
                action="expire",
                reason="Protection ended.",
            )
            for deal_id in ids
        ],
        batch_size=5000,
    )
    _announce_many(partner_id for _, partner_id in rows)
    payload = {
        "deal_ids": ids,
        "action": "expire",
        "from_status": DealStatus.APPROVED,
        "to_status": DealStatus.EXPIRED,
        "actor_id": None,
        "reason": "Protection ended.",
    }
    transaction.on_commit(
        lambda: signals.deal_transitioned.send(sender=DealRegistration, **payload)
    )
    return ids
