"""How insights print their figures: `{{ value|insights_number:"money" }}`.

One filter for every insights table and the digest, on the project-wide money and number
formatting (prm.formatting: PRM_CURRENCY, the reader's locale).
"""

from __future__ import annotations

import math
from typing import Any

from django import template

from prm import formatting

register = template.Library()

# Decimal places by kind of figure: counts and money whole, percentages to one decimal.
PLACES = {"count": 0, "money": 0, "percent": 1}
MISSING = "\N{EN DASH}"  # as the templates show a missing figure


@register.filter
def insights_number(value: Any, kind: str = "count") -> str:
    """A figure with thousands separators and the places of its kind ("count", "money",
    "percent"); a dash for a missing one (None, NaN)."""
    if kind not in PLACES:
        raise template.TemplateSyntaxError(f"insights_number: unknown kind {kind!r}")
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if kind == "money":
        return formatting.format_money(value, digits=PLACES[kind])
    return formatting.format_number(value, PLACES[kind])
