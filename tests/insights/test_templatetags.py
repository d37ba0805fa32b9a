import math

import pytest
from django.template import Context, Template, TemplateSyntaxError

from insights.templatetags.insights_format import insights_number


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (1537456771.94, "money", "$1,537,456,772"),
        (-1234.5, "money", "-$1,235"),
        (1234, "count", "1,234"),
        (25.9259, "percent", "25.9"),
        (0.0, "percent", "0.0"),
        (None, "percent", "\N{EN DASH}"),
        (math.nan, "money", "\N{EN DASH}"),
    ],
)
def test_insights_number_prints_each_kind_of_figure(value, kind, shown):
    assert insights_number(value, kind) == shown


def test_insights_number_refuses_an_unknown_kind():
    with pytest.raises(TemplateSyntaxError):
        Template('{% load insights_format %}{{ 1|insights_number:"euros" }}').render(Context())
