"""Building a segment in a real browser: nested groups, the live count after every edit, an
error next to its condition, saving; and the segment, list and overlap pages."""

import datetime as dt
import json
import re

from django.utils import timezone
from playwright.sync_api import expect

from partners.models import LifecycleStage, Partner, PartnerType, Region, Technology
from segments import services
from segments.models import MembershipEvent, MembershipEventKind, Segment
from segments.rules import compile_rule
from tests.partners.factories import (
    CertificationFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    TechnologyFactory,
    tier,
)

TIERS = ["registered", "silver", "gold", "platinum", None]
REGIONS = [Region.EMEA, Region.NA, Region.APAC, Region.LATAM]
SUFFIXES = ["Systems", "Cloud", "Partners"]
TYPES = [PartnerType.VAR, PartnerType.REFERRAL, PartnerType.MSP]
COMPANIES = [
    "Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Proseware",
    "Wingtip", "Coho", "Lucerne", "Fourth Coffee", "Alpine", "Relecloud", "Trey Research",
    "Woodgrove", "Bellows", "Margie", "Humongous", "VanArsdel", "Blue Yonder",
]  # fmt: skip


def _partners(count: int = 30) -> None:
    for index in range(count):
        slug = TIERS[index % len(TIERS)]
        PartnerFactory(
            name=f"{COMPANIES[index % len(COMPANIES)]} {SUFFIXES[index % len(SUFFIXES)]}",
            tier=tier(slug) if slug else None,
            region=REGIONS[index % len(REGIONS)],
            partner_type=TYPES[index % len(TYPES)],
            employee_count=20 * index + 10,
            lifecycle_stage=[LifecycleStage.ACTIVE, LifecycleStage.ONBOARDING][index % 2],
        )


OBJECTIVES = {
    "Gold and platinum partners": "Top-tier partners for the quarterly business review",
    "EMEA partners": "Regional newsletter and the EMEA partner summit",
    "Referral partners": "Nurture referral partners towards a reseller agreement",
    "Onboarding": "Partners still onboarding: send the enablement journey",
}


def _count(rule) -> int:
    return Partner.objects.filter(compile_rule(rule)).count()


def _segment_with_history(name: str, rule: dict, *, days: int = 75, owner=None) -> Segment:
    """A segment created `days` ago whose members joined over that time (and a few left)."""
    segment = services.segment_create(
        data={"name": name, "objective": OBJECTIVES.get(name, f"{name}: demo"), "rule": rule},
        owner=owner,
    )
    services.segment_evaluate(segment_id=segment.pk)
    now = timezone.now()
    Segment.objects.filter(pk=segment.pk).update(created_at=now - dt.timedelta(days=days))
    events = list(MembershipEvent.objects.filter(segment=segment).order_by("partner_id"))
    for index, event in enumerate(events):
        event.at = now - dt.timedelta(days=days - 1 - index * (days - 5) // max(len(events), 1))
        event.save(update_fields=["at"])
    outsiders = Partner.objects.exclude(pk__in=[event.partner_id for event in events])[:4]
    for index, partner in enumerate(outsiders):
        joined = now - dt.timedelta(days=days - 10 - index * 6)
        for kind, at in (
            (MembershipEventKind.JOINED, joined),
            (MembershipEventKind.LEFT, joined + dt.timedelta(days=9)),
        ):
            MembershipEvent.objects.create(segment=segment, partner=partner, kind=kind, at=at)
    segment.refresh_from_db()
    return segment


def _group(page, path):
    return page.locator(f'[data-path="{path}"] > .rule-group-header')


def _condition(page, path):
    return page.locator(f'.rule-condition[data-path="{path}"]')


def _expect_count(page, count: int) -> None:
    expect(page.locator("#preview-count")).to_have_attribute("data-count", str(count))


def test_manager_builds_a_nested_segment_with_a_live_count(manager_page, screenshot):
    # given 30 partners with varied tiers, regions and types
    _partners()
    page = manager_page
    page.goto(f"{page.live_server_url}/segments/new/")
    page.get_by_label("Name").fill("Gold+ EMEA or non-referral")
    page.get_by_label("Objective").fill("Invite top partners to the EMEA partner summit")
    seen = []

    def step(rule):
        expected = _count(rule)
        assert expected not in seen[-1:], "each edit should change the count"
        seen.append(expected)
        _expect_count(page, expected)

    gold = {"field": "tier", "op": "at_least", "value": "gold"}
    emea = {"field": "region", "op": "in", "value": ["emea"]}
    referral = {"field": "partner_type", "op": "eq", "value": "referral"}

    # when they add "tier at least gold"
    _group(page, "").locator('[data-action="add-condition"]').click()
    first = _condition(page, "/all/0")
    first.get_by_label("Field", exact=True).select_option("tier")
    _condition(page, "/all/0").get_by_label("Operator", exact=True).select_option("at_least")
    _condition(page, "/all/0").get_by_label("Value", exact=True).select_option("gold")
    step({"all": [gold]})

    # and a nested "any" group: empty, it matches nobody
    _group(page, "").locator('[data-action="add-group"]').click()
    expect(page.locator('[data-path="/all/1"]')).to_have_attribute("data-kind", "any")
    step({"all": [gold, {"any": []}]})

    # with "region is any of EMEA"
    _group(page, "/all/1").locator('[data-action="add-condition"]').click()
    _condition(page, "/all/1/any/0").get_by_label("Field", exact=True).select_option("region")
    _condition(page, "/all/1/any/0").get_by_label("Operator", exact=True).select_option("in")
    _condition(page, "/all/1/any/0").get_by_label("Add value", exact=True).select_option("emea")
    expect(_condition(page, "/all/1/any/0").locator(".tag-chip")).to_have_count(1)
    step({"all": [gold, {"any": [emea]}]})

    # and "partner type is referral", then negated
    _group(page, "/all/1").locator('[data-action="add-condition"]').click()
    _condition(page, "/all/1/any/1").get_by_label("Field", exact=True).select_option("partner_type")
    _condition(page, "/all/1/any/1").get_by_label("Value", exact=True).select_option("referral")
    step({"all": [gold, {"any": [emea, referral]}]})
    _condition(page, "/all/1/any/1").locator('[data-action="negate"]').click()
    expect(page.locator('[data-path="/all/1/any/1"]')).to_have_attribute("data-kind", "not")
    nested = {"all": [gold, {"any": [emea, {"not": referral}]}]}
    step(nested)

    # an invalid value shows its error next to its condition
    _group(page, "").locator('[data-action="add-condition"]').first.click()
    size = _condition(page, "/all/2")
    size.get_by_label("Field", exact=True).select_option("employee_count")
    _condition(page, "/all/2").get_by_label("Operator", exact=True).select_option("between")
    _condition(page, "/all/2").get_by_label("From", exact=True).fill("500")
    _condition(page, "/all/2").get_by_label("To", exact=True).fill("100")
    error = page.locator('.rule-condition[data-path="/all/2"] > .rule-error')
    expect(error).to_contain_text("the first value (500) is greater than the second (100)")
    expect(page.locator("#preview-invalid")).to_be_visible()
    expect(page.locator('.rule-condition[data-path="/all/0"] > .rule-error')).to_be_empty()

    # fixing it clears the error and the count follows
    _condition(page, "/all/2").get_by_label("From", exact=True).fill("100")
    expect(error).to_be_empty()
    _condition(page, "/all/2").get_by_label("To", exact=True).fill("450")
    size_range = {"field": "employee_count", "op": "between", "value": [100, 450]}
    final = {"all": [*nested["all"], size_range]}
    step(final)
    expect(page.locator(".preview-sample li").first).to_be_visible()
    screenshot("segment-builder")

    # when they save, they land on the new segment's page
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_url(re.compile(r"/segments/\d+/$"))
    segment = Segment.objects.get(name="Gold+ EMEA or non-referral")
    assert segment.rule == final
    expect(
        page.get_by_role("heading", name=re.compile("Gold\\+ EMEA or non-referral"))
    ).to_be_visible()
    expect(page.get_by_text("Invite top partners to the EMEA partner summit")).to_be_visible()
    expect(page.locator("#member-count")).to_have_text(str(_count(final)))


def test_segment_list_detail_and_overlap_pages(manager_page, browser_manager, screenshot):
    # given partners and a few segments with history
    _partners()
    page = manager_page
    top = _segment_with_history(
        "Gold and platinum partners",
        {"all": [{"field": "tier", "op": "at_least", "value": "gold"}]},
        owner=browser_manager,
    )
    _segment_with_history(
        "EMEA partners",
        {"all": [{"field": "region", "op": "eq", "value": "emea"}]},
        days=40,
        owner=browser_manager,
    )
    _segment_with_history(
        "Referral partners", {"all": [{"field": "partner_type", "op": "eq", "value": "referral"}]}
    )
    _segment_with_history(
        "Onboarding", {"all": [{"field": "lifecycle_stage", "op": "eq", "value": "onboarding"}]}
    )
    static = services.segment_create(
        data={"name": "Summit VIPs", "objective": "Hand-picked summit guests", "kind": "static"},
        owner=browser_manager,
    )
    services.segment_members_add(
        segment=static, partner_ids=list(Partner.objects.values_list("pk", flat=True)[:6])
    )

    # the segment page: figures, chart, members, explain
    page.goto(f"{page.live_server_url}/segments/{top.pk}/")
    expect(page.locator("canvas[data-chart-drawn]")).to_have_count(1)
    expect(page.locator("table tbody tr")).to_have_count(top.member_count)
    page.wait_for_timeout(1200)  # let Chart.js finish its entry animation
    screenshot("segment-detail")
    page.get_by_role("link", name="Explain").click()
    member = Partner.objects.filter(memberships__segment=top).first()
    page.get_by_label("Explain for a partner").fill(member.external_id)
    page.locator("#explain-candidates button").first.click()
    expect(page.locator("#explain-result")).to_contain_text("Rule matches now")
    expect(page.locator("#explain-result .bi-check-circle-fill").first).to_be_visible()

    page.goto(f"{page.live_server_url}/segments/")
    expect(page.locator("table tbody tr")).to_have_count(5)
    screenshot("segments-list")

    page.goto(f"{page.live_server_url}/segments/overlap/")
    expect(page.locator("#overlap-matrix td.heat-cell")).to_have_count(25)
    screenshot("segments-overlap")


def test_editing_loads_the_rule_and_a_refused_save_shows_errors_in_place(manager_page):
    # given a saved segment
    _partners()
    rule = {"all": [{"field": "region", "op": "eq", "value": "emea"}]}
    segment = services.segment_create(
        data={"name": "EMEA", "objective": "EMEA newsletter", "rule": rule}
    )
    page = manager_page
    # when the manager opens its builder, the rule is there with its count
    page.goto(f"{page.live_server_url}/segments/{segment.pk}/edit/")
    expect(_condition(page, "/all/0").get_by_label("Field", exact=True)).to_have_value("region")
    expect(_condition(page, "/all/0").get_by_label("Value", exact=True)).to_have_value("emea")
    _expect_count(page, _count(rule))

    # and they edit the rule JSON to name a segment that does not exist
    page.get_by_role("button", name="Rule JSON").click()
    bad = {"all": [{"field": "segment", "op": "in", "value": ["no-such-segment"]}]}
    page.locator("#id_rule").fill(json.dumps(bad))
    expect(_condition(page, "/all/0").get_by_label("Field", exact=True)).to_have_value("segment")
    error = page.locator('.rule-condition[data-path="/all/0"] > .rule-error')
    expect(error).to_contain_text("unknown segment 'no-such-segment'")

    # then saving is refused: the page comes back with the error next to the condition
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name=re.compile("Edit"))).to_be_visible()
    expect(error).to_contain_text("unknown segment 'no-such-segment'")
    segment.refresh_from_db()
    assert segment.rule == rule

    # and a static segment has no rule editor
    page.get_by_text("Static (by hand)").click()
    expect(page.locator("#rule-card")).to_be_hidden()
    expect(page.locator("#static-note")).to_be_visible()


TECHNOLOGIES = {
    "aws": "Amazon Web Services",
    "azure": "Microsoft Azure",
    "gcp": "Google Cloud",
    "salesforce": "Salesforce",
    "sap": "SAP",
    "servicenow": "ServiceNow",
    "snowflake": "Snowflake",
    "databricks": "Databricks",
    "vmware": "VMware",
    "kubernetes": "Kubernetes",
    "m365": "Microsoft 365",
    "okta": "Okta",
    "crowdstrike": "CrowdStrike",
}


def test_manager_picks_tags_and_certifications_by_name_and_the_summary_shows_names(
    manager_page, screenshot
):
    # given partners with technologies and a certification, from a catalogue of 13 technologies
    _partners()
    for slug, name in TECHNOLOGIES.items():
        TechnologyFactory(slug=slug, name=name)
    architect = CertificationFactory(slug="cloud-architect", name="Cloud Architect")
    CertificationFactory(slug="security-pro", name="Security Professional")
    for index, partner in enumerate(Partner.objects.order_by("pk")):
        slugs = [
            slug for slug, every in (("aws", 3), ("azure", 4), ("gcp", 5)) if index % every == 0
        ]
        partner.technologies.set(Technology.objects.filter(slug__in=slugs))
        if index % 2 == 0:
            PartnerCertificationFactory(partner=partner, certification=architect)
    page = manager_page
    page.goto(f"{page.live_server_url}/segments/new/")
    page.get_by_label("Name").fill("Cloud architects on AWS or Azure")
    page.get_by_label("Objective").fill("Invite certified cloud partners to the architecture day")

    # when they add "technologies has any of" and pick two by name, one found by searching
    _group(page, "").locator('[data-action="add-condition"]').click()
    _condition(page, "/all/0").get_by_label("Field", exact=True).select_option("technologies")
    _condition(page, "/all/0").get_by_label("Operator", exact=True).select_option("has_any")
    search = _condition(page, "/all/0").get_by_label("Search technologies")
    search.fill("azure")
    expect(_condition(page, "/all/0").get_by_label("Add value", exact=True)).to_contain_text(
        "(1 found)"
    )
    search.press("Enter")
    _condition(page, "/all/0").get_by_label("Add value", exact=True).select_option(
        label="Amazon Web Services"
    )
    chips = _condition(page, "/all/0").locator(".tag-chip")
    expect(chips).to_have_text(["Microsoft Azure", "Amazon Web Services"])
    technologies = {"field": "technologies", "op": "has_any", "value": ["azure", "aws"]}
    _expect_count(page, _count({"all": [technologies]}))

    # and "certifications has Cloud Architect", picked from the certifications by name
    _group(page, "").locator('[data-action="add-condition"]').click()
    _condition(page, "/all/1").get_by_label("Field", exact=True).select_option("certifications")
    _condition(page, "/all/1").get_by_label("Value", exact=True).select_option(
        label="Cloud Architect"
    )
    final = {
        "all": [technologies, {"field": "certifications", "op": "has", "value": "cloud-architect"}]
    }
    expected = _count(final)
    assert 0 < expected < _count({"all": [technologies]})
    _expect_count(page, expected)
    screenshot("segment-builder-tag-picker")

    # then the saved rule holds the slugs, and the segment's rule summary shows the names
    page.get_by_role("button", name="Create segment").click()
    page.wait_for_url(re.compile(r"/segments/\d+/$"))
    segment = Segment.objects.get(name="Cloud architects on AWS or Azure")
    assert segment.rule == final
    summary = page.locator(".rule-tree").first
    expect(summary).to_contain_text("Technologies has any of Microsoft Azure, Amazon Web Services")
    expect(summary).to_contain_text("Certifications has Cloud Architect")
    expect(summary).not_to_contain_text("aws")

    # and a rule naming a technology that no longer exists still shows it, marked, with its count
    old = {"all": [{"field": "technologies", "op": "has_any", "value": ["gcp", "retired"]}]}
    legacy = services.segment_create(data={"name": "Legacy", "objective": "Old", "rule": old})
    page.goto(f"{page.live_server_url}/segments/{legacy.pk}/edit/")
    expect(_condition(page, "/all/0").locator(".tag-chip")).to_have_text(
        ["Google Cloud", "retired (no such technology)"]
    )
    _expect_count(page, _count(old))
