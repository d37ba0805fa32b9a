"""Money and numbers in the reader's locale (prm.formatting), for every app's templates:

    {{ partner.revenue_12m|money }}          $719,389   (PRM_CURRENCY, whole units)
    {{ deal.amount|money:deal.currency }}    €12,500
    {{ price|money_exact }}                  $1,234.50  (the currency's minor units)
    {{ revenue|money_compact }}              $1.2M      (cards and axes where space is short)
    {{ count|number }}  {{ score|number:1 }} 1,234  12.3
    {{ rate|percent:1 }}                     42.4%      (a ratio: 0.424)
    {{ completion_pct|pct }}                 42%        (a value already in percent: 42.4)

A missing value (None) shows "—". The locale tag and the currency are there for scripts:
<html data-locale="{% format_locale %}" data-currency="{% default_currency %}">.
"""

from __future__ import annotations

from django import template

from prm import formatting

register = template.Library()


@register.filter
def money(value, currency: str | None = None) -> str:
    """An amount in whole units with its currency (a Money's own, else `currency`, else
    PRM_CURRENCY)."""
    return formatting.format_money(value, currency or None)


@register.filter
def money_exact(value, currency: str | None = None) -> str:
    """An amount with the currency's minor units: $1,234.50, ¥1,235."""
    return formatting.format_money(value, currency or None, digits=None)


@register.filter
def money_compact(value, currency: str | None = None) -> str:
    """An amount in the locale's short form: $1.2M, 1,2 Mio. $."""
    return formatting.format_money_compact(value, currency or None)


@register.filter
def number(value, digits: int | str | None = None):
    """A number with the locale's grouping; `digits` fixes the fraction digits. What is not a
    number (a "—" already put in its place, say) is shown as it is."""
    if value is not None and formatting.to_decimal(value) is None:
        return value
    return formatting.format_number(value, None if digits in (None, "") else int(digits))


@register.filter
def percent(value, digits: int | str = 0) -> str:
    """A ratio as a percentage: 0.423 → 42%."""
    return formatting.format_percent(value, int(digits))


@register.filter
def pct(value, digits: int | str = 0) -> str:
    """A value already in percent as a percentage: 42.3 → 42%."""
    number = formatting.to_decimal(value)
    return formatting.format_percent(None if number is None else number / 100, int(digits))


@register.simple_tag
def format_locale() -> str:
    """The locale numbers are written in, as a BCP 47 tag ("de-DE")."""
    return formatting.locale_tag()


@register.simple_tag
def default_currency() -> str:
    """PRM_CURRENCY, the currency of the partner figures."""
    return formatting.default_currency()
