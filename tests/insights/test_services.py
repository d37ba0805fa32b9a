import datetime as dt

import pytest
from django.core import mail

from insights.services import partners_at_risk_refresh, weekly_digest_send
from partners.models import Partner
from partners.signals import partners_changed
from segments.models import Membership
from segments.rules import validate_rule
from segments.services import segment_evaluate
from tests.enablement.factories import EngagementEventFactory
from tests.insights.conftest import KPI_TODAY, at, revenue
from tests.partners.factories import ContactFactory, PartnerFactory, UserFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

# Recent window: Apr-Jun 2026; previous: Jan-Mar 2026.
RISK_TODAY = dt.date(2026, 7, 15)


def _quarters(partner, previous: int, recent: int):
    for month in (1, 2, 3):
        revenue(partner, 2026, month, previous)
    for month in (4, 5, 6):
        revenue(partner, 2026, month, recent)


def _activity(partner, previous: int, recent: int):
    contact = ContactFactory(partner=partner)
    for index in range(previous):
        EngagementEventFactory(contact=contact, at=at(2026, 2, 1 + index))
    for index in range(recent):
        EngagementEventFactory(contact=contact, at=at(2026, 5, 1 + index))


@pytest.fixture
def risk_world(db):
    partners = {
        # revenue -50 % and activity 4 -> 1: at risk
        "falling": PartnerFactory(name="Falling"),
        # revenue -50 % but activity 1 -> 3: not at risk
        "engaged": PartnerFactory(name="Engaged"),
        # revenue flat, no activity: not at risk
        "steady": PartnerFactory(name="Steady"),
        # revenue -50 %, no activity in either window: at risk
        "idle": PartnerFactory(name="Idle"),
        # revenue -5 % only, no activity: not at risk (the threshold is 10 %)
        "dip": PartnerFactory(name="Dip"),
    }
    _quarters(partners["falling"], 1000, 500)
    _activity(partners["falling"], 4, 1)
    _quarters(partners["engaged"], 1000, 500)
    _activity(partners["engaged"], 1, 3)
    _quarters(partners["steady"], 1000, 1000)
    _quarters(partners["idle"], 1000, 500)
    _quarters(partners["dip"], 1000, 950)
    # A record of the running month does not count (the month is not complete).
    revenue(partners["dip"], 2026, 7, 0)
    return partners


def test_at_risk_refresh_flags_partners_with_falling_revenue_and_engagement(
    risk_world, django_capture_on_commit_callbacks
):
    announced = []

    def receiver(sender, partner_ids, **kwargs):
        announced.extend(partner_ids)

    partners_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = partners_at_risk_refresh(today=RISK_TODAY)
    finally:
        partners_changed.disconnect(receiver)

    flagged = set(Partner.objects.filter(is_at_risk=True).values_list("name", flat=True))
    assert flagged == {"Falling", "Idle"}
    assert result["at_risk"] == 2 and result["changed"] == 2
    assert sorted(announced) == sorted([risk_world["falling"].id, risk_world["idle"].id])
    reasons = Partner.objects.get(name="Falling").at_risk_reasons
    assert reasons[0] == {
        "signal": "revenue",
        "recent": 1500,
        "previous": 3000,
        "change_pct": -50.0,
    }
    assert reasons[1] == {"signal": "enablement_activity", "recent": 1, "previous": 4}
    assert Partner.objects.get(name="Engaged").at_risk_reasons == []


def test_at_risk_refresh_twice_changes_nothing_the_second_time(risk_world):
    partners_at_risk_refresh(today=RISK_TODAY)

    again = partners_at_risk_refresh(today=RISK_TODAY)

    assert (again["updated"], again["changed"], again["at_risk"]) == (0, 0, 2)


def test_at_risk_refresh_leaves_alone_reasons_the_orm_saved_since(risk_world):
    # given the flags and reasons, then the partners saved through the ORM (which spells the
    # JSON its own way: on SQLite the column is text)
    partners_at_risk_refresh(today=RISK_TODAY)
    for partner in Partner.objects.filter(is_at_risk=True):
        partner.save()

    # when
    again = partners_at_risk_refresh(today=RISK_TODAY)

    # then nothing is rewritten
    assert (again["updated"], again["changed"], again["at_risk"]) == (0, 0, 2)


def test_at_risk_refresh_clears_the_flag_when_revenue_recovers(risk_world):
    partners_at_risk_refresh(today=RISK_TODAY)

    # A month later the windows are May-Jul against Feb-Apr: Falling's Jul is strong.
    revenue(risk_world["falling"], 2026, 7, 5000)
    partners_at_risk_refresh(today=dt.date(2026, 8, 3))

    assert not Partner.objects.get(name="Falling").is_at_risk


def test_segment_rule_at_risk_eq_true_selects_the_flagged_partners(risk_world):
    partners_at_risk_refresh(today=RISK_TODAY)
    rule = {"field": "at_risk", "op": "eq", "value": True}
    assert validate_rule(rule) == []
    segment = SegmentFactory(rule=rule)

    segment_evaluate(segment_id=segment.id)

    members = Membership.objects.filter(segment=segment).values_list("partner__name", flat=True)
    assert set(members) == {"Falling", "Idle"}


def test_at_risk_rule_values_must_be_booleans():
    errors = validate_rule({"field": "at_risk", "op": "eq", "value": "yes"})

    assert errors == [{"path": "/value", "message": "expected true or false"}]


def test_weekly_digest_lands_in_the_outbox_with_the_figures(kpi_world, settings):
    UserFactory(username="boss", email="boss@example.com", is_staff=True)
    UserFactory(username="noaddress", email="", is_staff=True)
    UserFactory(username="partner", email="partner@example.com", is_staff=False)
    kpi_world["a"].is_at_risk = True
    kpi_world["a"].save()

    sent = weekly_digest_send(today=KPI_TODAY)

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == ["boss@example.com"]
    assert message.subject == "PRM weekly insights: 08 Mar - 15 Mar 2026"
    # Members at the end of March (A, B, D), 12-month revenue 3100, +82.4 % against February,
    # one member at risk.
    assert "Cloud resellers: 3 members, revenue 12m $3,100 (+82.4% vs last month), 1 at risk" in (
        message.body
    )
    assert "Partners at risk: 1" in message.body
    html = message.alternatives[0][0]
    assert "<td>Cloud resellers</td><td>3</td>" in html


def test_explain_shows_the_partner_at_risk_flag(risk_world):
    from segments.rules import explain_rule

    partners_at_risk_refresh(today=RISK_TODAY)
    rule = {"field": "at_risk", "op": "ne", "value": True}

    falling = explain_rule(rule, partner_id=risk_world["falling"].id)
    steady = explain_rule(rule, partner_id=risk_world["steady"].id)

    assert (falling["result"], falling["actual"]) == (False, True)
    assert (steady["result"], steady["actual"]) == (True, False)
