"""Money and numbers as the reader's locale writes them, for every app's pages, charts and
e-mails (Babel, from the Unicode CLDR data).

Money is an amount (a Decimal, never a float) and an ISO 4217 currency. The partner figures
(revenue_12m, annual_revenue, the tiers' revenue thresholds, performance records) carry no
currency of their own: they are in PRM_CURRENCY.

The locale is the reader's: for a request, the first locale of its Accept-Language header that
CLDR knows (FormattingLocaleMiddleware); without a request (e-mails, tasks, the shell) it is
PRM_LOCALE. Only numbers follow it. The interface stays English (there are no translations),
and Django's own localisation stays at LANGUAGE_CODE, so that form inputs, data attributes and
inline styles keep plain machine numbers ("1234.5", never "1.234,5").

Leaf module: it imports no app, so every app may use it (as prm.api's shared pieces).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    get_currency_precision,
    get_currency_symbol,
    is_currency,
    parse_pattern,
)
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils.translation.trans_real import parse_accept_lang_header

# What every formatter shows for a missing value.
EMPTY = "—"
FALLBACK_LOCALE = "en_US"
FALLBACK_CURRENCY = "USD"

Number = Decimal | float | int


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency: Decimal("719389.00") USD. Prints in the active locale."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        amount = to_decimal(self.amount)
        if amount is None:
            raise ValueError(f"not an amount: {self.amount!r}")
        currency = str(self.currency).upper()
        if not is_currency(currency):
            raise ValueError(f"not an ISO 4217 currency: {self.currency!r}")
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", currency)

    def __str__(self) -> str:
        return format_money(self, digits=None)


# Locales ---------------------------------------------------------------------------------------

_active_locale: ContextVar[Locale | None] = ContextVar("prm_formatting_locale", default=None)


@functools.lru_cache(maxsize=512)
def parse_locale(tag: str) -> Locale | None:
    """The CLDR locale of a BCP 47 or POSIX tag ("de-CH", "de_CH", "de"); None for a tag
    CLDR has no data for ("*", "x-klingon", "")."""
    tag = (tag or "").strip().replace("-", "_")
    if not tag or tag == "*":
        return None
    try:
        return Locale.parse(tag)
    except (ValueError, TypeError, UnknownLocaleError):
        return None


@functools.cache
def default_locale() -> Locale:
    """PRM_LOCALE: the locale of e-mails and tasks, and of requests that name none CLDR knows."""
    return parse_locale(getattr(settings, "PRM_LOCALE", FALLBACK_LOCALE)) or Locale.parse(
        FALLBACK_LOCALE
    )


@functools.cache
def default_currency() -> str:
    """PRM_CURRENCY: the currency of the partner figures, which carry none of their own."""
    return str(getattr(settings, "PRM_CURRENCY", FALLBACK_CURRENCY)).upper()


@receiver(setting_changed)
def _forget_defaults(*, setting: str, **kwargs) -> None:
    # Read once per process (every number formatted asks), again when a test overrides them.
    if setting in ("PRM_LOCALE", "PRM_CURRENCY"):
        default_locale.cache_clear()
        default_currency.cache_clear()


def current_locale() -> Locale:
    """The locale numbers are formatted in now: the request's, else PRM_LOCALE."""
    return _active_locale.get() or default_locale()


@contextmanager
def locale_override(locale: Locale | str | None) -> Iterator[Locale]:
    """Format in `locale` inside the block (a tag or a Locale; None or an unknown tag: the
    default), e.g. an e-mail rendered for one recipient."""
    chosen = parse_locale(locale) if isinstance(locale, str) else locale
    token = _active_locale.set(chosen or default_locale())
    try:
        yield current_locale()
    finally:
        _active_locale.reset(token)


def locale_from_accept_language(header: str) -> Locale | None:
    """The first locale of an Accept-Language header (by q-value) that CLDR knows."""
    for tag, _quality in parse_accept_lang_header(header or ""):
        locale = parse_locale(tag)
        if locale is not None:
            return locale
    return None


def locale_tag(locale: Locale | None = None) -> str:
    """A locale as a BCP 47 tag ("de-CH"), as the browser's Intl API takes it."""
    return str(locale or current_locale()).replace("_", "-")


class FormattingLocaleMiddleware:
    """Formats a request's numbers in the locale its browser asks for (Accept-Language);
    the interface language is left alone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        locale = locale_from_accept_language(request.headers.get("Accept-Language", ""))
        with locale_override(locale) as active:
            request.format_locale = active
            return self.get_response(request)


# Values ----------------------------------------------------------------------------------------


def to_decimal(value: object) -> Decimal | None:
    """A number as a Decimal (a float through its shortest repr, so 0.1 stays 0.1); None for
    None, a bool, or what is not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Money):
        return value.amount
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _rounded(number: Decimal, digits: int) -> Decimal:
    """Half up, as people round (and as floatformat did), to abs(digits) places; never a
    negative zero."""
    rounded = number.quantize(Decimal(1).scaleb(-abs(digits)), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded.is_zero() else rounded


@functools.lru_cache(maxsize=1024)
def _pattern(locale: Locale, kind: str, digits: int | None) -> NumberPattern:
    """The locale's decimal or percent pattern with `digits` fraction digits: exactly that
    many, at most -digits when negative (as floatformat:"-1"), as the locale has it for None."""
    pattern = locale.percent_formats[None] if kind == "percent" else locale.decimal_formats[None]
    if digits is None:
        return pattern
    fixed = copy.copy(pattern)
    fixed.frac_prec = (0, -digits) if digits < 0 else (digits, digits)
    return fixed


@functools.lru_cache(maxsize=1024)
def _money_pattern(locale: Locale, currency: str, digits: int) -> NumberPattern:
    """The locale's currency pattern with `digits` fraction digits and the currency's symbol
    already in place: Babel would otherwise look the currency's names up on every call."""
    fixed = copy.copy(locale.currency_formats["standard"])
    fixed.frac_prec = (digits, digits)
    symbol = get_currency_symbol(currency, locale)

    def place(text: str) -> str:
        return text.replace("¤¤", currency).replace("¤", symbol)

    fixed.prefix = tuple(place(text) for text in fixed.prefix)
    fixed.suffix = tuple(place(text) for text in fixed.suffix)
    return fixed


def _resolve(locale: Locale | str | None) -> Locale:
    if isinstance(locale, str):
        return parse_locale(locale) or default_locale()
    return locale or current_locale()


# Formatters ------------------------------------------------------------------------------------


def format_money(
    value: Money | Number | None,
    currency: str | None = None,
    *,
    digits: int | None = 0,
    locale: Locale | str | None = None,
) -> str:
    """An amount with its currency in the locale's pattern: 719389 → "$719,389" (en-US),
    "719.389 $" (de-DE). `digits`: 0 whole units (the default: revenue and thresholds),
    None the currency's minor units (USD 2, JPY 0), or that many. A Money brings its own
    currency; other amounts are in `currency`, else PRM_CURRENCY. None → "—"."""
    if isinstance(value, Money):
        currency = value.currency
    number = to_decimal(value)
    if number is None:
        return EMPTY
    currency = (currency or default_currency()).upper()
    locale = _resolve(locale)
    if digits is None:
        digits = get_currency_precision(currency)
    return _money_pattern(locale, currency, digits).apply(_rounded(number, digits), locale)


def format_money_compact(
    value: Money | Number | None,
    currency: str | None = None,
    *,
    locale: Locale | str | None = None,
) -> str:
    """Money where space is short (chart axes, cards): 1234567 → "$1.2M" (en-US),
    "1,2 Mio. $" (de-DE). Amounts the locale does not abbreviate stay whole: 950 → "$950",
    and in de-DE 719389 → "719.389 $"."""
    if isinstance(value, Money):
        currency = value.currency
    number = to_decimal(value)
    if number is None:
        return EMPTY
    currency = (currency or default_currency()).upper()
    locale = _resolve(locale)
    if not _abbreviates(number, locale):
        return format_money(number, currency, locale=locale)
    return format_compact_currency(number, currency, locale=locale, fraction_digits=1)


def _abbreviates(number: Decimal, locale: Locale) -> bool:
    """Whether the locale writes an amount of this size in a compact unit ("K", "Mio."):
    CLDR's pattern for the size is "0" where it does not (German thousands)."""
    formats = locale.compact_currency_formats.get("short")
    if not formats:
        return False
    sizes = [int(size) for size in formats["other"] if int(size) <= abs(number)]
    if not sizes:
        return False
    return parse_pattern(formats["other"][str(max(sizes))]).pattern != "0"


def format_number(
    value: Number | None, digits: int | None = None, *, locale: Locale | str | None = None
) -> str:
    """A number with the locale's grouping and decimal mark: 1234567 → "1,234,567" (en-US),
    "1.234.567" (de-DE). `digits` fixes the fraction digits (half up); without, whole
    numbers show none and others up to three; a negative `digits` shows at most that many
    ("-1": 12.0 → "12", 12.25 → "12.3"). None → "—"."""
    number = to_decimal(value)
    if number is None:
        return EMPTY
    locale = _resolve(locale)
    if digits is not None:
        number = _rounded(number, digits)
    elif number.is_zero():
        number = abs(number)
    return _pattern(locale, "decimal", digits).apply(number, locale)


def format_percent(
    ratio: Number | None, digits: int = 0, *, locale: Locale | str | None = None
) -> str:
    """A ratio as a percentage: 0.4237 → "42%" (en-US), "42 %" (de-DE); `digits` fraction
    digits (half up; negative: at most that many). None → "—"."""
    number = to_decimal(ratio)
    if number is None:
        return EMPTY
    locale = _resolve(locale)
    return _pattern(locale, "percent", digits).apply(_rounded(number * 100, digits) / 100, locale)
