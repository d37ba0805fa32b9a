"""The partner list's cells: in English (en-US), money and numbers read exactly as the
floatformat/intcomma cells did before they followed the reader's locale."""

from decimal import Decimal

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import Context, Template
from django.template.defaultfilters import floatformat

from partners.templatetags.partner_ui import whole_number
from prm.templatetags.prm_format import money, number, pct

NUMBERS = [
    Decimal("0"),
    Decimal("0.50"),
    Decimal("1.49"),
    Decimal("2.50"),
    Decimal("-3.50"),
    Decimal("999.99"),
    Decimal("1234567.50"),
    Decimal("98765432109.99"),
    12.25,
    0.05,
    55.55,
    100,
]


@pytest.mark.parametrize("value", NUMBERS)
def test_number_filters_match_floatformat_and_intcomma(value):
    assert money(value) == ("-$" if value < 0 else "$") + intcomma(floatformat(abs(value), 0))
    assert number(value, 1) == intcomma(floatformat(value, 1))
    assert whole_number(value) == floatformat(value, 0)
    assert pct(value) == intcomma(floatformat(value, 0)) + "%"


class _Tier:
    slug, rank, name = "gold", 3, "Gold <b>"


def test_tier_and_stage_badges_escape_and_show_no_tier():
    template = Template(
        "{% load partner_ui %}{% tier_badge tier %}|{% tier_badge None %}|"
        "{% stage_badge 'active' label %}"
    )
    html = template.render(Context({"tier": _Tier(), "label": "Active & well"}))
    with_tier, without, stage = html.split("|")
    assert 'class="badge tier-badge tier-gold tier-rank-3"' in with_tier
    assert "Gold &lt;b&gt;" in with_tier
    assert "No tier" in without
    assert stage == '<span class="badge stage-badge stage-active">Active &amp; well</span>'


def test_select_options_marks_selected_and_escapes():
    template = Template("{% load prm_ui %}{% select_options choices selected %}")
    html = template.render(Context({"choices": [("a", "A & co"), ("b", "<B>")], "selected": {"b"}}))
    assert html == (
        '<option value="a">A &amp; co</option>\n<option value="b" selected>&lt;B&gt;</option>'
    )


ROW_TEMPLATE = Template("{% load partner_ui %}<tr>{% partner_list_cells partner %}</tr>")


@pytest.mark.django_db
def test_partner_list_cells_show_every_column_escaped():
    from tests.partners.factories import PartnerFactory

    partner = PartnerFactory(
        name="Acme <script>",
        external_id="EXT-1",
        partner_type="msp",
        region="emea",
        country="DE",
        lifecycle_stage="active",
        revenue_12m=Decimal("1234567.40"),
        deals_won_12m=1,
        engagement_score=Decimal("72.25"),
        enablement_completion_pct=Decimal("42.5"),
    )
    partner.type_short, partner.shown_industries, partner.shown_technologies = "MSP", [], []

    html = ROW_TEMPLATE.render(Context({"partner": partner}))

    assert f'href="/partners/{partner.pk}/"' in html
    assert "Acme &lt;script&gt;" in html and "<script>" not in html
    assert "EXT-1" in html and ">MSP</td>" in html
    assert 'title="Germany">DE</span>' in html and ">EMEA</span>" in html
    assert "$1,234,567" in html and "1 deal won" in html
    assert "72.3" in html  # one decimal, half up
    assert 'style="width: 43%"' in html and "43% enabled" in html


@pytest.mark.django_db
def test_partner_list_cells_show_dashes_for_missing_figures():
    from tests.partners.factories import PartnerFactory

    partner = PartnerFactory(
        region="", country="", revenue_12m=None, deals_won_12m=None, engagement_score=None
    )
    partner.enablement_completion_pct = None
    partner.type_short, partner.shown_industries, partner.shown_technologies = "VAR", [], []

    html = ROW_TEMPLATE.render(Context({"partner": partner}))

    assert html.count("text-body-tertiary") == 3  # region, revenue, engagement
    assert "no deal figures" in html and "enabled" not in html
