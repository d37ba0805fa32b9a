"""Demo deal registrations for the quick start: incentive rules (size bands, tier and segment
rules, an EUR band), end customers across the regions, and a year of registrations by some
forty partners, the demo partner user's company among them with one or more in every state.

Run after seed_demo and seed_demo_segments (the partners, tiers, segments and the "manager"
and "partner" logins exist). Every registration is written through deals.services, in the
order its history happened (each deal's events, all deals' events sorted by time), so the
conflict check at each submission sees the registrations that were open at that moment, the
incentive locked at approval is the one the rules give, and each state change has its
transition. The services stamp the present; once all is written the history is back-dated
(each deal's and transition's planned time, set-based bulk updates), the SLA sweeps run as
the beat would, and the deal figures are refreshed for every partner.

Deterministic for a seed, with dates relative to now."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.test import override_settings
from django.utils import timezone

from deals import services
from deals.incentives import incentive_resolve
from deals.models import (
    Account,
    DealConflict,
    DealRegistration,
    DealStatus,
    DealTransition,
    ExtensionStatus,
    IncentiveRule,
)
from deals.services.sla import add_business_days
from deals.stats import deal_stats_refresh_all
from partners.demo.generation import _external_id
from partners.demo.vocabulary import DEMO_PREFIX
from partners.models import Industry, LifecycleStage, Partner, Technology, Tier
from partners.scoping import user_contact
from segments.models import Membership, Segment

DEMO_PARTNER_EXTERNAL_ID = _external_id(0)
OTHER_PARTNERS = 39
DEALS_PER_PARTNER = (3, 5)
HISTORY_DAYS = 350  # every registration created within the last 12 months

# name, domain ("" for none: matched by name in its country), country, industry slug
CUSTOMERS = {
    "na": [
        ("Harborview Health Systems, Inc.", "harborviewhealth.com", "US", "healthcare"),
        ("Cascade Freight Lines LLC", "cascadefreight.com", "US", "logistics"),
        ("Pinecrest Community Bank", "pinecrestbank.com", "US", "finance"),
        ("Redwood Valley Unified School District", "rvusd.org", "US", "education"),
        ("Granite Peak Manufacturing Corp.", "granitepeakmfg.com", "US", "manufacturing"),
        ("Blue Heron Retail Group Inc.", "blueheronretail.com", "US", "retail"),
        ("Sunbelt Energy Cooperative", "sunbeltenergy.coop", "US", "energy"),
        ("Lakeshore Insurance Partners LLC", "lakeshoreinsure.com", "US", "finance"),
        ("Meridian Media Holdings, Inc.", "meridianmediaholdings.com", "US", "media"),
        ("Northgate Telecom Corp.", "northgatetel.com", "US", "telecom"),
        ("Maple Ridge Foods Ltd.", "mapleridgefoods.ca", "CA", "retail"),
        ("Laurentian Transit Authority", "laurentiantransit.ca", "CA", "public-sector"),
        ("Kestrel Aerospace Inc.", "kestrelaero.ca", "CA", "manufacturing"),
        ("Ironwood Logistics, Inc.", "", "US", "logistics"),
    ],
    "emea": [
        ("Nordwind Logistik GmbH", "nordwind-logistik.de", "DE", "logistics"),
        ("Kaufmann Bau GmbH", "", "DE", "manufacturing"),
        ("Rheintal Klinikum AG", "rheintal-klinikum.de", "DE", "healthcare"),
        ("Stadtwerke Elbaue GmbH", "stadtwerke-elbaue.de", "DE", "energy"),
        ("Boulangeries Lemaire SAS", "lemaire-boulangeries.fr", "FR", "retail"),
        ("Assurances du Littoral SA", "assurances-littoral.fr", "FR", "finance"),
        ("Thames Valley Housing Ltd", "thamesvalleyhousing.co.uk", "GB", "public-sector"),
        ("Pennine Engineering plc", "pennine-engineering.co.uk", "GB", "manufacturing"),
        ("Van der Berg Transport B.V.", "vanderbergtransport.nl", "NL", "logistics"),
        ("Farmacias Solana S.L.", "farmaciassolana.es", "ES", "healthcare"),
        ("Tessitura Valtellina S.p.A.", "tessituravaltellina.it", "IT", "manufacturing"),
        ("Fjällkraft Energi AB", "fjallkraft.se", "SE", "energy"),
        ("Alpenblick Versicherung AG", "alpenblick-versicherung.ch", "CH", "finance"),
        ("Liffey Media Group Ltd", "liffeymedia.ie", "IE", "media"),
        ("Gdańsk Port Services Sp. z o.o.", "gdanskportservices.pl", "PL", "logistics"),
        ("Nordlicht Telekom GmbH", "nordlicht-telekom.at", "AT", "telecom"),
    ],
    "apac": [
        ("Southern Cross Mining Pty Ltd", "southerncrossmining.com.au", "AU", "energy"),
        ("Coral Coast Health Pty Ltd", "coralcoasthealth.com.au", "AU", "healthcare"),
        ("Sakura Precision K.K.", "sakura-precision.co.jp", "JP", "manufacturing"),
        ("Hikari Retail Holdings K.K.", "hikari-retail.co.jp", "JP", "retail"),
        ("Lion City Logistics Pte. Ltd.", "lioncitylogistics.com.sg", "SG", "logistics"),
        ("Deccan Finserv Pvt. Ltd.", "deccanfinserv.in", "IN", "finance"),
        ("Tasman Dairy Co-operative Ltd", "tasmandairy.co.nz", "NZ", "retail"),
    ],
    "latam": [
        ("Transportes Ipanema Ltda.", "transportesipanema.com.br", "BR", "logistics"),
        ("Banco Serra Azul S.A.", "bancoserraazul.com.br", "BR", "finance"),
        ("Grupo Alimentos del Bajío S.A. de C.V.", "alimentosdelbajio.com.mx", "MX", "retail"),
        ("Minera Los Andes SpA", "mineralosandes.cl", "CL", "energy"),
        ("Clínica Santa Lucía S.A.S.", "clinicasantalucia.com.co", "CO", "healthcare"),
    ],
}
# The name another partner gives a customer registered without a domain: the same company
# (same normalised name, same country) under another legal form, found by the name check.
ALIASES = {"Kaufmann Bau GmbH": "Kaufmann Bau AG"}
EURO = {"DE", "FR", "NL", "ES", "IT", "IE", "AT", "BE", "FI", "PT"}

# The opportunity, and the products it names (conflicts need shared products).
PROJECTS = [
    ("Azure landing zone and migration", ["azure"]),
    ("AWS data platform", ["aws", "data-analytics"]),
    ("Zero-trust network access", ["security", "networking"]),
    ("Managed detection and response", ["security"]),
    ("SD-WAN rollout across branch sites", ["networking"]),
    ("Google Cloud analytics modernisation", ["gcp", "data-analytics"]),
    ("Customer service CRM rollout", ["crm"]),
    ("ERP cloud migration", ["erp"]),
    ("Teams telephony and meeting rooms", ["collaboration"]),
    ("Demand forecasting with machine learning", ["ai-ml", "data-analytics"]),
    ("Backup and disaster recovery on AWS", ["aws"]),
    ("AI assistant pilot for the service desk", ["ai-ml", "collaboration"]),
]

OUTCOMES = {  # share of the other partners' registrations
    DealStatus.DRAFT: 6,
    DealStatus.SUBMITTED: 7,
    DealStatus.APPROVED: 22,
    DealStatus.WON: 28,
    DealStatus.LOST: 14,
    DealStatus.REJECTED: 8,
    DealStatus.WITHDRAWN: 6,
    DealStatus.EXPIRED: 9,
}
# The outcomes a manager's decision leads to must not be auto-approved on submission: no
# rule auto-approves from this amount.
NO_AUTO_APPROVE = Decimal("25000")
CONFLICT_REJECTION = (
    "Another partner registered this customer for the same products first, and their "
    "registration is protected. Talk to your channel manager about working it together."
)
REJECTIONS = [
    "The customer buys directly from us under an enterprise agreement.",
    "Not enough detail to protect it: add the decision maker and the budget, then register again.",
    "This opportunity is already registered through our distributor.",
]
APPROVALS = ["", "", "Verified with the customer's procurement.", "Strategic logo: go for it."]
CONFLICT_APPROVAL = (
    "Approved despite the overlap: the other partner sells to a different business unit."
)
WON_NOTES = ["PO received.", "Signed for three years.", "", "Signed after a successful pilot."]
LOST_NOTES = ["Customer chose a competitor.", "Budget cut for this year.", "Lost on price."]
WITHDRAWALS = ["Customer postponed the project to next year.", "Duplicate registration.", ""]
EXTENSIONS = [
    "The customer's board approval moved to next quarter.",
    "Procurement asked for another security review.",
]


@dataclass
class Plan:
    """One registration's planned history: what happens to it and when."""

    partner: Partner
    customer: tuple[str, str, str, str]
    project: tuple[str, list[str]]
    amount: Decimal
    currency: str
    outcome: str
    # Planned times of its events, in order: [(time, action, reason)]
    events: list[tuple[dt.datetime, str, str]] = field(default_factory=list)
    customer_name: str = ""
    extension: str = ""  # "", "requested" or "approved"
    # Filled while the history is written.
    deal: DealRegistration | None = None
    transition_times: list[dt.datetime] = field(default_factory=list)
    decided_at: dt.datetime | None = None


def _rules_ensure(*, tiers: dict[str, Tier], segments: dict[str, Segment]) -> list[IncentiveRule]:
    """The program's incentive rules: three size bands in PRM_CURRENCY (the small one
    auto-approves under 10,000), gold and platinum tier rules, a segment rule and a segment +
    tier rule when those segments exist, an EUR band, and one retired rule."""
    usd = settings.PRM_CURRENCY
    rows = [
        dict(name="Standard: small deals", currency=usd, min_amount=0, max_amount=25_000,
             discount_pct=5, rebate_pct=2, protection_days=60, auto_approve_below=10_000),
        dict(name="Standard: mid-market deals", currency=usd, min_amount=25_000,
             max_amount=250_000, discount_pct=8, rebate_pct=3, protection_days=90),
        dict(name="Standard: large deals", currency=usd, min_amount=250_000, discount_pct=12,
             rebate_pct=4, protection_days=120),
        dict(name="Standard: EUR deals", currency="EUR", min_amount=0, discount_pct=7,
             rebate_pct=3, protection_days=90, auto_approve_below=10_000),
        dict(name="Launch promotion 2025 (retired)", currency=usd, min_amount=0,
             max_amount=50_000, discount_pct=15, rebate_pct=5, protection_days=90,
             is_active=False),
    ]  # fmt: skip
    if "gold" in tiers:
        rows.append(
            dict(name="Gold partners", tier=tiers["gold"], currency=usd, min_amount=0,
                 discount_pct=12, rebate_pct=5, protection_days=120, auto_approve_below=10_000)
        )  # fmt: skip
    if "platinum" in tiers:
        rows.append(
            dict(name="Platinum partners", tier=tiers["platinum"], currency=usd, min_amount=0,
                 discount_pct=15, rebate_pct=6, protection_days=180,
                 auto_approve_below=25_000)
        )  # fmt: skip
    if "emea-cloud-msps" in segments:
        rows.append(
            dict(name="EMEA cloud MSPs: cloud deals", segment=segments["emea-cloud-msps"],
                 currency="EUR", min_amount=25_000, discount_pct=10, rebate_pct=5,
                 protection_days=120, priority=10)
        )  # fmt: skip
    if "strategic-accounts" in segments and "platinum" in tiers:
        rows.append(
            dict(name="Strategic accounts: platinum large deals",
                 segment=segments["strategic-accounts"], tier=tiers["platinum"], currency=usd,
                 min_amount=250_000, discount_pct=18, rebate_pct=7, protection_days=240)
        )  # fmt: skip
    return [IncentiveRule.objects.create(**row) for row in rows]


def _partners_pick(rng: random.Random) -> tuple[Partner | None, list[Partner]]:
    """The demo partner and OTHER_PARTNERS active demo partners, higher tiers and the
    segment rules' members over-represented (their incentives differ)."""
    demo = Partner.objects.filter(external_id=DEMO_PARTNER_EXTERNAL_ID).first()
    candidates = list(
        Partner.objects.filter(
            external_id__startswith=DEMO_PREFIX, lifecycle_stage=LifecycleStage.ACTIVE
        )
        .exclude(external_id=DEMO_PARTNER_EXTERNAL_ID)
        .select_related("tier")
        .order_by("id")
    )
    members = set(
        Membership.objects.filter(
            segment__slug__in=["emea-cloud-msps", "strategic-accounts"],
            partner_id__in=[partner.pk for partner in candidates],
        ).values_list("partner_id", flat=True)
    )
    weights = [
        (4 if partner.pk in members else 1)
        * {"platinum": 4, "gold": 3, "silver": 1.5}.get(getattr(partner.tier, "slug", ""), 1)
        for partner in candidates
    ]
    picked: dict[int, Partner] = {}
    while candidates and len(picked) < min(OTHER_PARTNERS, len(candidates)):
        partner = rng.choices(candidates, weights)[0]
        picked[partner.pk] = partner
    return demo, sorted(picked.values(), key=lambda partner: partner.pk)


def _region(partner: Partner) -> str:
    return partner.region if partner.region in CUSTOMERS else "na"


def _currency(country: str) -> str:
    if country in EURO:
        return "EUR"
    if country == "GB":
        return "GBP"  # no rule prices GBP: the default protection, no incentive
    return settings.PRM_CURRENCY


def _amount(rng: random.Random, *, minimum: Decimal = Decimal(0)) -> Decimal:
    """Deal sizes as a program sees them: many small and mid-market, a few large."""
    band = rng.random()
    if band < 0.3:
        low, high = 3_000, 25_000
    elif band < 0.88:
        low, high = 25_000, 250_000
    else:
        low, high = 250_000, 1_500_000
    value = Decimal(round(low * (high / low) ** rng.random(), -2))
    return max(value, minimum + rng.randrange(0, 40) * 1000) if minimum else value


class Clock:
    """Planned times, `days` before now."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def ago(self, days: float) -> dt.datetime:
        return self.now - dt.timedelta(days=days)


def _protection_days(partner: Partner, amount: Decimal, currency: str) -> int:
    """The protection the rules will give when the deal is approved (the tiers and segments
    do not change while the demo is written)."""
    quote = incentive_resolve(partner=partner, amount=amount, currency=currency)
    return quote.protection_days if quote else settings.PRM_DEAL_DEFAULT_PROTECTION_DAYS


def _history(plan: Plan, rng: random.Random, clock: Clock, **at: float) -> Plan:
    """The plan's events for its outcome. `at` fixes some of its days-ago (submit, decide,
    close, expire, extension); the rest are drawn."""
    outcome = plan.outcome
    events: list[tuple[float, str, str]] = []
    protection = None
    if outcome in (DealStatus.APPROVED, DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED):
        protection = _protection_days(plan.partner, plan.amount, plan.currency)

    def submitted_before(decide: float) -> float:
        return at.get("submit", decide + rng.uniform(0.1, 3.0))

    if outcome == DealStatus.DRAFT:
        created = at.get("create", rng.uniform(0.2, 25))
    elif outcome == DealStatus.SUBMITTED:
        # Most wait a day or so; one in five is past its review time.
        late = rng.random() < 0.3
        submit = at.get("submit", rng.uniform(3.5, 8) if late else rng.uniform(0.05, 1.5))
        created = submit + rng.uniform(0, 5)
        events.append((submit, "submit", ""))
    else:
        if outcome == DealStatus.APPROVED:
            decide = at.get("decide", rng.uniform(1, max(2, min(protection - 9, 200))))
        elif outcome in (DealStatus.WON, DealStatus.LOST):
            close = at.get("close", rng.uniform(1, 250))
            decide = at.get("decide", close + rng.uniform(7, max(8, min(protection - 2, 120))))
        elif outcome == DealStatus.EXPIRED:
            expire = at.get("expire", rng.uniform(1, max(2, HISTORY_DAYS - 20 - protection)))
            decide = expire + protection + 1
        else:  # rejected, withdrawn
            decide = at.get("decide", rng.uniform(1, 300))
        submit = submitted_before(decide)
        created = submit + rng.uniform(0, 6)
        events.append((submit, "submit", ""))
        if outcome == DealStatus.WITHDRAWN:
            events.append((decide, "withdraw", rng.choice(WITHDRAWALS)))
        elif outcome == DealStatus.REJECTED:
            events.append((decide, "reject", at.get("reason") or rng.choice(REJECTIONS)))
        else:
            events.append((decide, "approve", rng.choice(APPROVALS)))
        if outcome == DealStatus.WON:
            events.append((close, "won", rng.choice(WON_NOTES)))
        elif outcome == DealStatus.LOST:
            events.append((close, "lost", rng.choice(LOST_NOTES)))
        elif outcome == DealStatus.EXPIRED:
            events.append((expire, "expire", ""))
        if plan.extension:
            asked = at.get("extension", max(0.1, decide - rng.uniform(5, 40)))
            events.append((asked, "extension_request", rng.choice(EXTENSIONS)))
            if plan.extension == "approved":
                approved = max(0.01, asked - rng.uniform(0.05, 1.0))
                events.append((approved, "extension_approve", ""))
    created = min(created, HISTORY_DAYS)
    plan.events = [(clock.ago(created), "create", "")] + [
        (clock.ago(min(days, created - 0.01 * (index + 1))), action, reason)
        for index, (days, action, reason) in enumerate(events)
    ]
    return plan


def _plans(
    rng: random.Random, *, demo: Partner | None, others: list[Partner], clock: Clock
) -> list[Plan]:
    """Every registration's plan: the demo partner's showcase (each state, two conflicts
    with other partners), a few deliberate conflicts in the review queue, and the other
    partners' year of registrations on their usual customers."""
    plans: list[Plan] = []
    # Each partner works two or three customers of its region (dealt round, so that a
    # customer has two or three partners) and sells three of the projects: partners meet on
    # a customer now and then, and conflict only when they sell the same products.
    home: dict[int, list[tuple]] = {}
    specialities: dict[int, list[tuple]] = {}
    dealt: dict[str, int] = {}
    for partner in [demo, *others] if demo else others:
        region = _region(partner)
        pool = CUSTOMERS[region]
        start = dealt.get(region, rng.randrange(len(pool)))
        count = rng.choice([2, 2, 3])
        home[partner.pk] = [pool[(start + k) % len(pool)] for k in range(count)]
        dealt[region] = start + count
        specialities[partner.pk] = rng.sample(PROJECTS, 3)

    def plan(partner, outcome, *, customer=None, project=None, minimum=None, extension="",
             name="", **at) -> Plan:  # fmt: skip
        customer = customer or rng.choice(home[partner.pk])
        if minimum is None and outcome in (
            DealStatus.SUBMITTED, DealStatus.REJECTED, DealStatus.WITHDRAWN
        ):  # fmt: skip
            minimum = NO_AUTO_APPROVE
        amount = _amount(rng, minimum=minimum or Decimal(0))
        item = Plan(
            partner=partner,
            customer=customer,
            project=project or rng.choice(specialities[partner.pk]),
            amount=amount,
            currency=_currency(customer[2]),
            outcome=outcome,
            extension=extension,
            customer_name=name or customer[0],
        )
        plans.append(_history(item, rng, clock, **at))
        return item

    S = DealStatus
    rivals = others
    if demo is not None:
        # The demo partner's showcase: every state, each story a partner user would check.
        plan(demo, S.DRAFT, create=2)
        plan(demo, S.DRAFT, create=12)
        plan(demo, S.SUBMITTED, submit=0.3)
        plan(demo, S.SUBMITTED, submit=6)  # overdue: the 2-business-day review has passed
        plan(demo, S.APPROVED, decide=20, minimum=NO_AUTO_APPROVE)
        soon = plan(demo, S.APPROVED, minimum=NO_AUTO_APPROVE, decide=0)
        _protection_ending_in(soon, rng, clock, days=4)
        extended = plan(demo, S.APPROVED, minimum=NO_AUTO_APPROVE, extension="requested", decide=0)
        _protection_ending_in(extended, rng, clock, days=12, extension=2)
        plan(demo, S.WON, close=30)
        plan(demo, S.WON, close=150)
        plan(demo, S.LOST, close=60)
        plan(demo, S.WITHDRAWN, decide=45)
        plan(demo, S.EXPIRED, expire=40)
        if rivals:
            # Registered second for a customer another partner protects: rejected, and one
            # still under review with the conflict shown side by side.
            rival, customer, project = rivals[0], home[rivals[0].pk][0], PROJECTS[1]
            plan(rival, S.WON, customer=customer, project=project, decide=100, close=20)
            plan(demo, S.REJECTED, customer=customer, project=project, decide=70, submit=72,
                 reason=CONFLICT_REJECTION)  # fmt: skip
            rival, customer, project = rivals[-1], home[rivals[-1].pk][0], PROJECTS[3]
            plan(rival, S.APPROVED, customer=customer, project=project, decide=15,
                 minimum=NO_AUTO_APPROVE)  # fmt: skip
            plan(demo, S.SUBMITTED, customer=customer, project=project, submit=1)
    # Conflicts among the others: two in the review queue (one found by name: the customer
    # has no domain), one rejected, one approved despite the overlap.
    by_region: dict[str, list[Partner]] = {}
    for partner in others:
        by_region.setdefault(_region(partner), []).append(partner)
    pairs = [
        ("emea", ("Kaufmann Bau GmbH", "", "DE", "manufacturing"), S.APPROVED, S.SUBMITTED),
        ("na", CUSTOMERS["na"][0], S.APPROVED, S.SUBMITTED),
        ("na", CUSTOMERS["na"][4], S.WON, S.REJECTED),
        ("emea", CUSTOMERS["emea"][0], S.LOST, S.APPROVED),
    ]
    for region, customer, first, second in pairs:
        pool = by_region.get(region) or others
        if len(pool) < 2:
            continue
        a, b = rng.sample(pool, 2)
        project = rng.choice(PROJECTS)
        if second == S.SUBMITTED:
            plan(a, first, customer=customer, project=project, decide=25,
                 minimum=NO_AUTO_APPROVE)  # fmt: skip
            plan(b, second, customer=customer, project=project, submit=rng.uniform(0.2, 2),
                 name=ALIASES.get(customer[0], ""))  # fmt: skip
        else:
            plan(a, first, customer=customer, project=project, decide=100, close=30,
                 minimum=NO_AUTO_APPROVE)  # fmt: skip
            plan(b, second, customer=customer, project=project, submit=70, decide=68,
                 reason=CONFLICT_REJECTION if second == S.REJECTED else "",
                 minimum=NO_AUTO_APPROVE)  # fmt: skip
    # The others' year of registrations.
    outcomes, weights = list(OUTCOMES), list(OUTCOMES.values())
    for index, partner in enumerate(others):
        for _ in range(rng.randint(*DEALS_PER_PARTNER)):
            outcome = rng.choices(outcomes, weights)[0]
            extension = ""
            if outcome == S.APPROVED and rng.random() < 0.15:
                extension = "approved"
            plan(partner, outcome, extension=extension)
        if index % 13 == 5:  # a few protections ending within the reminder window
            item = plan(partner, S.APPROVED, minimum=NO_AUTO_APPROVE, decide=0)
            _protection_ending_in(item, rng, clock, days=rng.randint(1, 6))
    return plans


def _protection_ending_in(
    plan: Plan, rng: random.Random, clock: Clock, *, days: int, extension: float | None = None
) -> None:
    """Move an approved plan so that its protection ends in `days` days."""
    protection = _protection_days(plan.partner, plan.amount, plan.currency)
    decide = protection - days + 0.5
    _history(plan, rng, clock, decide=decide, **({"extension": extension} if extension else {}))


# -- writing the history -------------------------------------------------------------------


def _write(plans: list[Plan], *, manager, partner_user, tech: dict[str, Technology],
           industries: dict[str, Industry]) -> None:  # fmt: skip
    """Every plan's events through the services, all deals' events in time order."""
    timeline = sorted(
        ((time, index, order) for index, plan in enumerate(plans)
         for order, (time, _, _) in enumerate(plan.events)),
    )  # fmt: skip
    placeholder_close = timezone.localdate() + dt.timedelta(days=90)
    for time, index, order in timeline:
        plan = plans[index]
        _, action, reason = plan.events[order]
        actor = partner_user if plan.partner.external_id == DEMO_PARTNER_EXTERNAL_ID else None
        deal = plan.deal
        if action == "create":
            _, domain, country, industry = plan.customer
            plan.deal = services.deal_create(
                partner=plan.partner,
                user=actor,
                account_name=plan.customer_name,
                account_domain=domain,
                account_country=country,
                account_industry=industries.get(industry),
                name=plan.project[0],
                amount=plan.amount,
                currency=plan.currency,
                # The services refuse a close date in the past: the real one is back-dated.
                expected_close_date=placeholder_close,
                technologies=[tech[slug] for slug in plan.project[1] if slug in tech],
            )
            plan.transition_times.append(time)
        elif action == "submit":
            plan.deal = services.deal_submit(deal=deal, user=actor)
            plan.transition_times.append(time)
            if plan.deal.status == DealStatus.APPROVED:  # auto-approved on submission
                plan.decided_at = time + dt.timedelta(seconds=2)
                plan.transition_times.append(plan.decided_at)
        elif action == "approve":
            if deal.status != DealStatus.SUBMITTED:
                continue  # auto-approved on submission already
            if deal.has_conflict:
                reason = CONFLICT_APPROVAL
            plan.deal = services.deal_approve(deal=deal, user=manager, reason=reason)
            plan.decided_at = time
            plan.transition_times.append(time)
        elif action == "reject":
            if deal.has_conflict:
                reason = CONFLICT_REJECTION
            elif reason == CONFLICT_REJECTION:  # the conflict did not happen after all
                reason = REJECTIONS[0]
            plan.deal = services.deal_reject(deal=deal, user=manager, reason=reason)
            plan.decided_at = time
            plan.transition_times.append(time)
        elif action == "withdraw":
            plan.deal = services.deal_withdraw(deal=deal, user=actor, reason=reason)
            plan.transition_times.append(time)
        elif action in ("won", "lost"):
            close = services.deal_mark_won if action == "won" else services.deal_mark_lost
            plan.deal = close(deal=deal, user=actor, reason=reason)
            plan.transition_times.append(time)
        elif action == "extension_request":
            plan.deal = services.deal_extension_request(
                deal=deal, user=actor, days=30, reason=reason
            )
            plan.transition_times.append(time)
        elif action == "extension_approve":
            plan.deal = services.deal_extension_approve(deal=deal, user=manager)
            plan.transition_times.append(time)
        elif action == "expire":
            # The sweep expires what ended before today: this deal's protection ends now
            # (its planned end, back-dated), so the sweep finds it, and only it.
            DealRegistration.objects.filter(pk=deal.pk).update(
                protection_ends_on=_protection_end(plan)
            )
            expired = services.deals_expire_due()
            assert expired == [deal.pk], (expired, deal.pk)
            plan.deal.status = DealStatus.EXPIRED
            plan.transition_times.append(time)


def _protection_end(plan: Plan) -> dt.date | None:
    deal = plan.deal
    if plan.decided_at is None or deal.protection_days is None:
        return None
    end = timezone.localdate(plan.decided_at) + dt.timedelta(days=deal.protection_days)
    if deal.extension_status == ExtensionStatus.APPROVED:
        end += dt.timedelta(days=deal.extension_days)
    return end


def _backdate(plans: list[Plan], rng: random.Random) -> None:
    """Each deal's and transition's planned times, in a bulk update per table."""
    deals = []
    today = timezone.localdate()
    review_days = settings.PRM_DEAL_REVIEW_BUSINESS_DAYS
    for plan in plans:
        deal = plan.deal
        times = {action: time for time, action, _ in plan.events}
        deal.created_at = times["create"]
        deal.updated_at = plan.transition_times[-1]
        if "submit" in times:
            deal.submitted_at = times["submit"]
            deal.review_due_at = add_business_days(deal.submitted_at, review_days)
            decided_late = plan.decided_at and plan.decided_at > deal.review_due_at
            # The sweep marked the review overdue before it was decided.
            if decided_late:
                deal.overdue_at = deal.review_due_at + dt.timedelta(minutes=15)
        if deal.status in (DealStatus.APPROVED, DealStatus.REJECTED, DealStatus.WON,
                           DealStatus.LOST, DealStatus.EXPIRED):  # fmt: skip
            deal.decided_at = plan.decided_at
        if deal.decided_at and deal.protection_days is not None:
            deal.protection_ends_on = _protection_end(plan)
        closed = times.get("won") or times.get("lost") or times.get("expire")
        if closed:
            deal.closed_at = closed
        # When the partner expected to close: near the close for closed deals, ahead for
        # open ones.
        created = timezone.localdate(deal.created_at)
        if deal.status in (DealStatus.WON, DealStatus.LOST):
            deal.expected_close_date = timezone.localdate(closed) + dt.timedelta(
                days=rng.randint(-20, 10)
            )
        elif deal.status in (DealStatus.DRAFT, DealStatus.SUBMITTED, DealStatus.APPROVED):
            deal.expected_close_date = max(
                created + dt.timedelta(days=rng.randint(45, 180)),
                today + dt.timedelta(days=rng.randint(7, 60)),
            )
        else:
            deal.expected_close_date = created + dt.timedelta(days=rng.randint(45, 150))
        deals.append(deal)
    DealRegistration.objects.bulk_update(
        deals,
        [
            "created_at", "updated_at", "submitted_at", "review_due_at", "overdue_at",
            "decided_at", "protection_ends_on", "closed_at", "expected_close_date",
        ],
        batch_size=200,
    )  # fmt: skip
    by_deal = {plan.deal.pk: plan.transition_times for plan in plans}
    transitions = list(DealTransition.objects.filter(deal_id__in=by_deal).order_by("deal_id", "id"))
    position: dict[int, int] = {}
    for transition in transitions:
        index = position.get(transition.deal_id, 0)
        transition.at = by_deal[transition.deal_id][index]
        position[transition.deal_id] = index + 1
    mismatched = [pk for pk, times in by_deal.items() if position.get(pk, 0) != len(times)]
    if mismatched:
        raise RuntimeError(f"demo deals {mismatched}: transitions do not match the plan")
    DealTransition.objects.bulk_update(transitions, ["at"], batch_size=500)
    # A conflict was found at the flagged deal's submission; a customer appeared with its
    # first registration.
    DealConflict.objects.filter(deal_id__in=by_deal).update(
        created_at=Subquery(
            DealRegistration.objects.filter(pk=OuterRef("deal_id")).values("submitted_at")[:1]
        )
    )
    Account.objects.filter(pk__in=[plan.deal.account_id for plan in plans]).update(
        created_at=Subquery(
            DealRegistration.objects.filter(account_id=OuterRef("pk"))
            .order_by()
            .values("account_id")
            .annotate(first=Min("created_at"))
            .values("first")[:1]
        )
    )


def _sweep(plans: list[Plan]) -> dict[str, int]:
    """The SLA sweeps, as the beat runs them, then their marks back-dated to when the beat
    would have made them."""
    overdue = services.deals_mark_overdue()
    reminded = services.deals_remind_expiring()
    expired = services.deals_expire_due()
    if expired:
        raise RuntimeError(f"demo deals {expired} expired after back-dating: the plan is off")
    reminder_days = dt.timedelta(days=settings.PRM_DEAL_EXPIRY_REMINDER_DAYS)
    rows = []
    for deal in DealRegistration.objects.filter(pk__in=overdue):
        deal.overdue_at = deal.review_due_at + dt.timedelta(minutes=15)
        rows.append(deal)
    DealRegistration.objects.bulk_update(rows, ["overdue_at"])
    rows = []
    for deal in DealRegistration.objects.filter(pk__in=reminded):
        day = deal.protection_ends_on - reminder_days
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 0)))
        deal.expiry_reminded_at = min(max(moment, deal.decided_at), timezone.now())
        rows.append(deal)
    DealRegistration.objects.bulk_update(rows, ["expiry_reminded_at"])
    return {"overdue": len(overdue), "reminded": len(reminded)}


def demo_deals_seed(*, seed: int = 42) -> dict[str, int]:
    """Create the demo incentive rules, customers and a year of registrations (nothing when
    any registration exists). Returns counts."""
    if DealRegistration.objects.exists():
        return {}
    rng = random.Random(seed)
    clock = Clock(timezone.now())
    user_model = get_user_model()
    manager = user_model.objects.filter(username="manager").first()
    partner_user = user_model.objects.filter(username="partner").first()
    tech = {t.slug: t for t in Technology.objects.all()}
    industries = {i.slug: i for i in Industry.objects.all()}
    # The history is back-dated: its transitions are recorded (figures and segments follow)
    # but nobody is told of them now; the SLA sweep's findings are today's, so the overdue
    # reviews do reach the demo manager. Nothing is mailed by this process: the partners are
    # fictional.
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
        services.deal_transitions_unannounced(),
    ):
        rules = _rules_ensure(
            tiers={tier.slug: tier for tier in Tier.objects.all()},
            segments={s.slug: s for s in Segment.objects.all()},
        )
        demo, others = _partners_pick(rng)
        if demo is None and not others:
            return {"deal_rules": len(rules)}
        contact = user_contact(partner_user) if partner_user is not None else None
        if demo is None or contact is None or contact.partner_id != demo.pk:
            partner_user = None  # the demo partner's registrations then have no submitter
        plans = _plans(rng, demo=demo, others=others, clock=clock)
        _write(plans, manager=manager, partner_user=partner_user, tech=tech,
               industries=industries)  # fmt: skip
        _backdate(plans, rng)
        swept = _sweep(plans)
        deal_stats_refresh_all()
    deal_ids = [plan.deal.pk for plan in plans]
    return {
        "deal_rules": len(rules),
        "deal_customers": Account.objects.filter(deals__in=deal_ids).distinct().count(),
        "deals": len(deal_ids),
        "deal_partners": len({plan.partner.pk for plan in plans}),
        "deal_conflicts": DealConflict.objects.filter(deal_id__in=deal_ids).count(),
        "deals_overdue": swept["overdue"],
    }
