"""The generated isolation matrix: a partner user of company A against everything of company B.

Nothing here is a hand-made list of pages. The cases are ENUMERATED from the URL
configuration when the tests are collected:

- every URL pattern of the "portal" namespace (and the partner-usable routes outside it, such
  as the gated file download): a URL with kwargs is filled with the pk of B's object of the
  kind `PORTAL_KWARGS` names; a new portal URL with kwargs that the map does not cover FAILS
  `test_every_portal_url_with_kwargs_is_in_the_matrix`, so no page escapes the matrix;
- every DRF route under /api/ (the routers of prm/api/urls.py and the apps' api urls),
  detail routes filled by `API_OBJECTS` (by router basename), with the same rule;
- every other page of the site (partners, tiers, segments, enablement, communications,
  insights, the dashboard, the admin, and whatever is added later), except the few public
  ones named in `NOT_STAFF_ROUTES`.

Signed in as a contact of A: GET of B's objects → 404 (403 where the endpoint is staff-only),
POST/PUT/PATCH/DELETE with a plausible payload → 404/403/405, and each case checks that not
one row of B changed (a snapshot of every model with a partner_scope, scoped to B, and B's
logins). A's list pages and list endpoints never show B's names, e-mails or subjects. Staff
pages → 403 or the login page; staff API endpoints → 403. Each case is its own test id.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from communications.models import CampaignStatus, Channel
from deals.models import DealStatus
from enablement.models import ContentKind, StepCompletion
from partners.access import StaffRequiredMixin
from partners.models import ContactRole, TierChange, TierChangeDirection, TierChangeSource
from partners.scoping import scoped
from prm.api.permissions import IsChannelManager
from segments.models import MembershipEvent, MembershipEventKind
from tests.communications.factories import (
    CampaignFactory,
    ContactPreferenceFactory,
    MessageFactory,
    OccurrenceFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.deals.factories import (
    AccountFactory,
    DealRegistrationFactory,
    DealTransitionFactory,
    IncentiveRuleFactory,
)
from tests.enablement.factories import (
    ContentItemFactory,
    EngagementEventFactory,
    EnrollmentFactory,
    LearningPathFactory,
    LearningStepFactory,
)
from tests.partners.factories import (
    CertificationFactory,
    ContactFactory,
    PartnerCertificationFactory,
    PartnerFactory,
    PerformanceRecordFactory,
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, StaticSegmentFactory

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")
ALL_METHODS = ("get", *WRITE_METHODS)

# ---------------------------------------------------------------------------------------
# The kwarg maps: which of B's objects fills a URL kwarg. A portal URL with kwargs, or an
# API detail route, that is missing here fails the matrix: extend the map with the page.
# ---------------------------------------------------------------------------------------

PORTAL_KWARGS: dict[str, dict[str, str]] = {
    "portal:learning-content": {"pk": "content"},
    "portal:learning-path": {"pk": "path"},
    "portal:learning-path-enrol": {"pk": "path"},
    "portal:learning-step-complete": {"pk": "step"},
    "portal:learning-step-quiz": {"pk": "step"},
    "portal:inbox-message": {"pk": "message"},
    "portal:inbox-survey": {"pk": "message"},
    "portal:company-contact-edit": {"pk": "colleague"},
    "portal:company-contact-delete": {"pk": "colleague"},
    "portal:company-contact-preferences": {"pk": "colleague"},
    "portal:team-deactivate": {"pk": "colleague"},
    "portal:team-reactivate": {"pk": "colleague"},
    "portal:team-grant": {"pk": "unlinked_contact"},
    "portal:team-resend": {"pk": "colleague"},
    "portal:deal_detail": {"pk": "deal"},
    "portal:deal_edit": {"pk": "deal"},
    "portal:deal_attachment": {"pk": "deal"},
    "portal:deal_submit": {"pk": "deal"},
    "portal:deal_withdraw": {"pk": "deal"},
    "portal:deal_extension": {"pk": "deal"},
    "portal:deal_won": {"pk": "deal"},
    "portal:deal_lost": {"pk": "deal"},
    "portal:application-approve": {"pk": "partner"},
    "portal:application-reject": {"pk": "partner"},
    # partner-usable routes outside the portal namespace
    "enablement:content-download": {"pk": "file_content"},
}
# Routes outside "portal" that partner users use (enumerated with the staff namespaces, but
# they belong to the portal matrix).
PARTNER_ROUTES_ELSEWHERE = {"enablement:content-download"}
# Public pages (signed links from e-mails): neither staff nor portal pages.
PUBLIC_ROUTES = {
    "communications:unsubscribe",
    "communications:preferences",
    "communications:open",
    "communications:click",
}
# Router basename -> B's object for detail routes. `catalogue` kinds are not partner-owned:
# partner users may read them (the certification catalogue), never write them.
API_OBJECTS: dict[str, str] = {
    "partner-tier": "partner",
    "partner": "partner",
    "contact": "colleague",
    "tier": "tier",
    "tier-change": "tier_change",
    "segment": "segment",
    "content": "content",
    "learning-path": "path",
    "learning-step": "step",
    "enrollment": "enrollment",
    "certification": "certification",
    "campaign": "campaign",
    "contact-preference": "colleague",
    "inbox": "message",
    "survey": "survey",
    "deal": "deal",
    "account": "account",
    "incentive-rule": "incentive_rule",
}
CATALOGUE_KINDS = {"certification"}
# API views that are neither partner data nor staff data.
PUBLIC_API = {"api-token", "api-schema", "api-docs"}
# Pages outside the portal and the API that are not staff pages: every other page of the
# site (partners, tiers, segments, enablement, communications, insights, the dashboard, the
# admin, and any page added later) must refuse partner users. Fail closed: a new public page
# fails the matrix until it is named here.
NOT_STAFF_ROUTES = {
    "home",
    "healthz",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    # The admin's own sign-in pages: open to anyone, they grant nothing by themselves.
    "admin:login",
    "admin:logout",
    # A redirect to the static favicon, asked for by browsers before anyone signs in.
    "favicon",
    *PUBLIC_ROUTES,
}

# ---------------------------------------------------------------------------------------
# Enumeration of the URL configuration
# ---------------------------------------------------------------------------------------


@dataclass
class Route:
    name: str  # "namespace:name" (or the bare name)
    namespace: str
    route: str
    callback: object
    kwargs: list[str] = field(default_factory=list)

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None) or getattr(self.callback, "cls", None)


def _kwarg_names(pattern) -> list[str]:
    converters = getattr(pattern, "converters", None)
    if converters is not None and hasattr(pattern, "_route"):
        return list(converters)
    return list(pattern.regex.groupindex)


def _walk(patterns, prefix="", namespace="", kwargs=()):
    for entry in patterns:
        own = _kwarg_names(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from _walk(
                entry.url_patterns, prefix + str(entry.pattern), inner, (*kwargs, *own)
            )
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield Route(
                name, namespace, prefix + str(entry.pattern), entry.callback, [*kwargs, *own]
            )


def _routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver().url_patterns):
        if "format" in route.kwargs:  # DRF's .json/.api suffix twins of the same views
            continue
        if (route.name, tuple(route.kwargs)) in seen:
            continue
        seen.add((route.name, tuple(route.kwargs)))
        routes.append(route)
    return routes


ROUTES = _routes()
PORTAL_ROUTES = [r for r in ROUTES if r.namespace == "portal" or r.name in PARTNER_ROUTES_ELSEWHERE]
API_ROUTES = [
    r for r in ROUTES if r.route.startswith("api/") and r.name not in PUBLIC_API and not r.namespace
]
STAFF_ROUTES = [
    r
    for r in ROUTES
    if not r.route.startswith("api/")
    and r.namespace != "portal"
    and r.name not in PARTNER_ROUTES_ELSEWHERE
    and r.name not in NOT_STAFF_ROUTES
]


def _is_staff_only_view(route: Route) -> bool:
    view = route.view_class
    return isinstance(view, type) and issubclass(view, StaffRequiredMixin)


def _viewset_of(route: Route):
    return getattr(route.callback, "cls", None)


def _api_is_staff_only(route: Route) -> bool:
    view = _viewset_of(route)
    return view is None or IsChannelManager in tuple(view.permission_classes)


def _api_basename(route: Route) -> str | None:
    return getattr(route.callback, "initkwargs", {}).get("basename")


def _api_methods(route: Route) -> set[str]:
    return set(getattr(route.callback, "actions", {}) or {})


# ---------------------------------------------------------------------------------------
# Two companies with a full set of objects each
# ---------------------------------------------------------------------------------------

PASSWORD = "correct-horse-battery"


def build_company(key: str) -> SimpleNamespace:
    """A partner with contacts (two with logins, one without), a private segment with its
    membership and event, gated content (one with a file) and a gated path with steps, an
    enrolment with a completed step, a certification, performance records, a pending tier
    change, portal messages of a campaign with a survey and an answer, preferences and an
    engagement event. Every text that must never leak carries the company's key."""
    cap = key.capitalize()
    partner = PartnerFactory(
        name=f"{cap} Company Ltd",
        tier=tier("silver"),
        external_id=f"ISO-{key}",
        employee_count=77,
    )
    users = {
        role: UserFactory(username=f"{key}-{role}", email=f"{key}.{role}@{key}-corp.example")
        for role in ("sales", "technical")
    }
    sales = ContactFactory(
        partner=partner,
        first_name=f"{cap}Sales",
        last_name=f"{cap}Surname",
        email=f"{key}.sales@{key}-corp.example",
        role=ContactRole.SALES,
        user=users["sales"],
        is_partner_admin=True,  # the most powerful partner user: the matrix signs in as this
    )
    colleague = ContactFactory(
        partner=partner,
        first_name=f"{cap}Tech",
        last_name=f"{cap}Surname",
        email=f"{key}.tech@{key}-corp.example",
        role=ContactRole.TECHNICAL,
        user=users["technical"],
    )
    unlinked = ContactFactory(
        partner=partner,
        first_name=f"{cap}Nologin",
        last_name=f"{cap}Surname",
        email=f"{key}.nologin@{key}-corp.example",
        role=ContactRole.MARKETING,
    )
    segment = StaticSegmentFactory(name=f"{cap} private segment", slug=f"{key}-private")
    MembershipFactory(segment=segment, partner=partner)
    MembershipEvent.objects.create(
        segment=segment, partner=partner, kind=MembershipEventKind.JOINED, at=timezone.now()
    )
    content = ContentItemFactory(
        title=f"{cap}-only content", slug=f"{key}-only-content", segments=[segment]
    )
    file_content = ContentItemFactory(
        title=f"{cap}-only file",
        slug=f"{key}-only-file",
        kind=ContentKind.DOCUMENT,
        url="",
        file=ContentFile(b"%PDF-1.4 private", name=f"{key}-guide.pdf"),
        segments=[segment],
    )
    path = LearningPathFactory(
        title=f"{cap}-only path", slug=f"{key}-only-path", segments=[segment]
    )
    step = LearningStepFactory(path=path, order=1, title=f"{cap} step one", content=content)
    LearningStepFactory(path=path, order=2, title=f"{cap} step two", content=file_content)
    enrollment = EnrollmentFactory(contact=sales, path=path, progress_pct=50)
    StepCompletion.objects.create(enrollment=enrollment, step=step, completed_at=timezone.now())
    certification = CertificationFactory(slug=f"{key}-cert", name=f"{cap} Cert")
    PartnerCertificationFactory(partner=partner, certification=certification)
    today = timezone.localdate().replace(day=1)
    for months_ago in (0, 1):
        PerformanceRecordFactory(
            partner=partner, month=(today - dt.timedelta(days=31 * months_ago)).replace(day=1)
        )
    tier_change = TierChange.objects.create(
        partner=partner,
        from_tier=tier("silver"),
        to_tier=tier("gold"),
        direction=TierChangeDirection.UP,
        source=TierChangeSource.SCHEDULE,
    )
    campaign = CampaignFactory(
        name=f"{cap} campaign", channel=Channel.PORTAL, status=CampaignStatus.COMPLETED
    )
    survey = SurveyFactory(campaign=campaign)
    occurrence = OccurrenceFactory(campaign=campaign)
    message = MessageFactory(
        campaign=campaign,
        occurrence=occurrence,
        contact=sales,
        channel=Channel.PORTAL,
        subject=f"{cap} private subject",
        body=f"{cap} private body",
    )
    colleague_message = MessageFactory(
        campaign=campaign,
        occurrence=occurrence,
        contact=colleague,
        channel=Channel.PORTAL,
        subject=f"{cap} colleague subject",
        body=f"{cap} colleague body",
    )
    SurveyResponseFactory(survey=survey, contact=colleague, message=colleague_message, score=3)
    ContactPreferenceFactory(contact=sales, topics_opted_out=["events"])
    EngagementEventFactory(contact=sales, content=content)
    # A registration with a file, decided and flagged against another partner's; and an
    # incentive rule for the company's private segment (a preview must not name it to others).
    account = AccountFactory(name=f"{cap} Customer AG", domain=f"{key}-customer.example")
    deal = DealRegistrationFactory(
        partner=partner,
        account=account,
        submitted_by=users["sales"],
        name=f"{cap} private opportunity",
        status=DealStatus.SUBMITTED,
        submitted_at=timezone.now(),
        notes=f"{cap} private notes",
        attachment=ContentFile(b"%PDF-1.4 quote", name=f"{key}-quote.pdf"),
    )
    DealTransitionFactory(deal=deal, to_status=DealStatus.SUBMITTED, action="submit")
    incentive_rule = IncentiveRuleFactory(name=f"{cap} rule", segment=segment)
    return SimpleNamespace(
        key=key,
        partner=partner,
        sales=sales,
        user=users["sales"],
        colleague=colleague,
        unlinked_contact=unlinked,
        segment=segment,
        content=content,
        file_content=file_content,
        path=path,
        step=step,
        enrollment=enrollment,
        certification=certification,
        tier=tier("silver"),
        tier_change=tier_change,
        campaign=campaign,
        survey=survey,
        message=message,
        colleague_message=colleague_message,
        deal=deal,
        account=account,
        incentive_rule=incentive_rule,
        # what must never appear on A's pages or in A's API answers
        secrets=[
            partner.name,
            partner.external_id,
            *(contact.email for contact in (sales, colleague, unlinked)),
            *(contact.full_name for contact in (sales, colleague, unlinked)),
            segment.name,
            content.title,
            file_content.title,
            path.title,
            f"{cap} step one",
            message.subject,
            message.body,
            colleague_message.subject,
            campaign.name,
            deal.name,
            deal.notes,
            account.name,
            f"{key}-quote",
        ],
    )


@pytest.fixture
def world(client):
    a, b = build_company("alpha"), build_company("bravo")
    client.force_login(a.user)
    return SimpleNamespace(a=a, b=b, client=client)


def snapshot(company: SimpleNamespace) -> dict:
    """Every row of B that a partner user could touch: each model with a partner_scope,
    scoped to B, B's logins and B's tags."""
    partner = company.partner
    state = {}
    for model in apps.get_models():
        if getattr(model, "partner_scope", None):
            state[model._meta.label] = json.loads(
                json.dumps(
                    list(scoped(model, partner=partner).order_by("pk").values()), default=str
                )
            )
    state["users"] = list(
        get_user_model()
        .objects.filter(contact__partner=partner)
        .order_by("pk")
        .values("pk", "username", "email", "password", "is_active", "is_staff")
    )
    state["tags"] = [
        sorted(partner.industries.values_list("pk", flat=True)),
        sorted(partner.technologies.values_list("pk", flat=True)),
    ]
    return state


def payload(b: SimpleNamespace) -> dict:
    """A plausible body for any form or endpoint, full of B's ids."""
    return {
        "contact": b.colleague.pk,
        "partner": b.partner.pk,
        "path": b.path.pk,
        "step": b.step.pk,
        "message": b.message.pk,
        "enrollment": b.enrollment.pk,
        "survey": b.survey.pk,
        "score": 1,
        "comment": "changed by A",
        "answers": [0],
        "first_name": "Changed",
        "last_name": "ByA",
        "email": "changed-by-a@example.com",
        "role": ContactRole.EXECUTIVE,
        "name": "Changed by A",
        "employee_count": 1,
        "unsubscribed_all": True,
        "topics_opted_out": ["news"],
        "max_per_week": 1,
    }


def _send(client, method: str, url: str, data: dict, *, json_body: bool):
    call = getattr(client, method)
    if method == "get":
        return call(url)
    if json_body:
        return call(url, data=json.dumps(data), content_type="application/json")
    if method == "post":
        return call(url, data=data)
    return call(url, data=json.dumps(data), content_type="application/json")


def _reverse(route: Route, values: dict) -> str:
    return reverse(route.name, kwargs={name: values[name] for name in route.kwargs})


# ---------------------------------------------------------------------------------------
# The portal pages (and the file download)
# ---------------------------------------------------------------------------------------

PORTAL_OBJECT_ROUTES = [r for r in PORTAL_ROUTES if r.kwargs]
# Staff pages under /portal/ (applications): refused to every partner user, own object or not
# (test_a_staff_page_is_refused… and the B-object cases cover them), so no own-object control.
PORTAL_OWN_OBJECT_ROUTES = [r for r in PORTAL_OBJECT_ROUTES if not _is_staff_only_view(r)]
PORTAL_LIST_ROUTES = [r for r in PORTAL_ROUTES if not r.kwargs]


def test_every_portal_url_with_kwargs_is_in_the_matrix():
    """A new partner page with kwargs must say which of B's objects fills them."""
    uncovered = [
        f"{route.name} {route.kwargs}"
        for route in PORTAL_OBJECT_ROUTES
        if set(route.kwargs) - set(PORTAL_KWARGS.get(route.name, {}))
    ]
    assert uncovered == [], f"add these to PORTAL_KWARGS: {uncovered}"


def test_the_matrix_enumerated_the_portal_and_the_api():
    assert {"portal:home", "portal:learning", "portal:inbox", "portal:company"} <= {
        r.name for r in PORTAL_ROUTES
    }
    assert any(r.name == "inbox-detail" for r in API_ROUTES)
    assert any(r.name == "enrollment-complete-step" for r in API_ROUTES)
    staff = {r.name for r in STAFF_ROUTES}
    assert {"dashboard", "partners:list", "segments:list", "admin:index"} <= staff


def _portal_expected(route: Route, method: str) -> set[int]:
    """Staff-only: 403. Otherwise 404 for B's object, where the view answers the method;
    405 where it does not (a view that looks the object up first may say 404 to any)."""
    if _is_staff_only_view(route):
        return {403}
    return {404} if _handles(route, method) else {404, 405}


def _handles(route: Route, method: str) -> bool:
    view = route.view_class
    if not isinstance(view, type):
        return True
    return hasattr(view, method) and method in getattr(view, "http_method_names", [method])


def _b_values(route: Route, b: SimpleNamespace) -> dict:
    kinds = PORTAL_KWARGS[route.name]
    return {name: getattr(b, kinds[name]).pk for name in route.kwargs}


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("route", PORTAL_OBJECT_ROUTES, ids=lambda r: r.name)
def test_a_partner_user_cannot_reach_another_partners_object_on_a_portal_page(world, route, method):
    if route.name not in PORTAL_KWARGS:
        pytest.fail(f"{route.name} has kwargs {route.kwargs} but no entry in PORTAL_KWARGS")
    url = _reverse(route, _b_values(route, world.b))
    before = snapshot(world.b)

    response = _send(world.client, method, url, payload(world.b), json_body=False)

    assert response.status_code in _portal_expected(route, method), (
        f"{method.upper()} {url} -> {response.status_code}"
    )
    assert snapshot(world.b) == before, f"{method.upper()} {url} changed a row of B"


@pytest.mark.parametrize("route", PORTAL_OWN_OBJECT_ROUTES, ids=lambda r: r.name)
def test_a_partner_user_reaches_their_own_object_on_the_same_portal_page(world, route):
    """The control of the case above: the same URL with A's object is not a 404, so the
    404 for B's object means isolation, not a broken URL."""
    if route.name not in PORTAL_KWARGS:
        pytest.fail(f"{route.name} has kwargs {route.kwargs} but no entry in PORTAL_KWARGS")
    url = _reverse(route, _b_values(route, world.a))
    method = "get" if _handles(route, "get") else "post"

    response = _send(world.client, method, url, payload(world.a), json_body=False)

    assert response.status_code != 404, f"{method.upper()} {url} of A's own object -> 404"
    assert response.status_code < 500


@pytest.mark.parametrize("route", PORTAL_OBJECT_ROUTES, ids=lambda r: r.name)
def test_a_portal_form_on_an_own_object_takes_no_id_of_another_partner(world, route):
    """A's own object, a body full of B's ids: whatever the form does, B is untouched."""
    if route.name not in PORTAL_KWARGS:
        pytest.fail(f"{route.name} has kwargs {route.kwargs} but no entry in PORTAL_KWARGS")
    url = _reverse(route, _b_values(route, world.a))
    before = snapshot(world.b)

    response = world.client.post(url, data=payload(world.b))

    assert response.status_code < 500, f"POST {url} -> {response.status_code}"
    assert snapshot(world.b) == before, f"POST {url} with B's ids changed a row of B"


@pytest.mark.parametrize("route", PORTAL_LIST_ROUTES, ids=lambda r: r.name)
def test_a_portal_page_never_shows_another_partners_rows(world, route):
    url = reverse(route.name)

    response = world.client.get(url)

    assert response.status_code in {200, 302, 403}, f"GET {url} -> {response.status_code}"
    if response.status_code == 200 and not getattr(response, "streaming", False):
        content = response.content.decode()
        leaked = [secret for secret in world.b.secrets if secret in content]
        assert leaked == [], f"{url} shows B's {leaked}"


@pytest.mark.parametrize("route", PORTAL_LIST_ROUTES, ids=lambda r: r.name)
def test_a_portal_form_rejects_another_partners_ids(world, route):
    url = reverse(route.name)
    before = snapshot(world.b)

    response = world.client.post(url, data=payload(world.b))

    assert response.status_code < 500, f"POST {url} -> {response.status_code}"
    assert snapshot(world.b) == before, f"POST {url} changed a row of B"


# ---------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------

API_DETAIL_ROUTES = [r for r in API_ROUTES if r.kwargs]
API_LIST_ROUTES = [r for r in API_ROUTES if not r.kwargs]


def test_every_api_detail_route_is_in_the_matrix():
    uncovered = sorted(
        {
            f"{route.name} (basename {_api_basename(route)})"
            for route in API_DETAIL_ROUTES
            if _api_basename(route) not in API_OBJECTS or set(route.kwargs) != {"pk"}
        }
    )
    assert uncovered == [], f"add these to API_OBJECTS: {uncovered}"


def _api_detail_url(route: Route, company: SimpleNamespace) -> str:
    kind = API_OBJECTS[_api_basename(route)]
    return reverse(route.name, kwargs={"pk": getattr(company, kind).pk})


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize("route", API_DETAIL_ROUTES, ids=lambda r: r.name)
def test_a_partner_user_cannot_reach_another_partners_object_in_the_api(world, route, method):
    if _api_basename(route) not in API_OBJECTS:
        pytest.fail(f"{route.name}: basename {_api_basename(route)} not in API_OBJECTS")
    url = _api_detail_url(route, world.b)
    before = snapshot(world.b)

    response = _send(world.client, method, url, payload(world.b), json_body=True)

    if _api_is_staff_only(route):
        expected = {403}
    elif method == "get" and API_OBJECTS[_api_basename(route)] in CATALOGUE_KINDS:
        expected = {200} if "get" in _api_methods(route) else {403, 405}
    elif method == "get" and "get" in _api_methods(route):
        expected = {404}
    else:
        expected = {403, 404, 405}
    assert response.status_code in expected, f"{method.upper()} {url} -> {response.status_code}"
    assert snapshot(world.b) == before, f"{method.upper()} {url} changed a row of B"


@pytest.mark.parametrize(
    "route",
    [r for r in API_DETAIL_ROUTES if not _api_is_staff_only(r) and "get" in _api_methods(r)],
    ids=lambda r: r.name,
)
def test_a_partner_user_reaches_their_own_object_in_the_api(world, route):
    """The control: the same endpoint with A's object answers."""
    url = _api_detail_url(route, world.a)

    response = world.client.get(url)

    assert response.status_code == 200, f"GET {url} of A's own object -> {response.status_code}"


@pytest.mark.parametrize("method", ("get", "post"))
@pytest.mark.parametrize("route", API_LIST_ROUTES, ids=lambda r: r.name)
def test_an_api_list_endpoint_never_shows_or_takes_another_partners_rows(world, route, method):
    url = reverse(route.name)
    before = snapshot(world.b)

    response = _send(world.client, method, url, payload(world.b), json_body=True)

    if _api_is_staff_only(route):
        expected = {403}
    elif method == "get":
        expected = {200} if "get" in _api_methods(route) else {403, 405}
    else:
        expected = {400, 403, 404, 405}
    assert response.status_code in expected, f"{method.upper()} {url} -> {response.status_code}"
    content = _body_text(response)
    leaked = [secret for secret in world.b.secrets if secret in content]
    assert leaked == [], f"{method.upper()} {url} shows B's {leaked}"
    assert snapshot(world.b) == before, f"{method.upper()} {url} changed a row of B"


def _body_text(response) -> str:
    """The answer's text, a streamed one (a CSV export) read to its end."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# ---------------------------------------------------------------------------------------
# Staff pages and staff API endpoints are refused to partner users
# ---------------------------------------------------------------------------------------

_CANDIDATES = (1, "partners", "partner", "x")


def _staff_url(route: Route) -> str | None:
    """The route reversed with any values its kwargs accept (staff checks come first, so
    which object does not matter)."""
    for values in itertools.product(_CANDIDATES, repeat=len(route.kwargs)):
        try:
            return reverse(route.name, kwargs=dict(zip(route.kwargs, values, strict=True)))
        except NoReverseMatch:
            continue
    return None


@pytest.fixture
def partner_client(client):
    contact = ContactFactory(user=UserFactory(username="isolated-partner-user"))
    client.force_login(contact.user)
    return client


def _is_login_redirect(response) -> bool:
    if response.status_code != 302:
        return False
    return response.url.startswith(reverse("login")) or response.url.startswith(
        reverse("admin:login")
    )


@pytest.mark.parametrize("method", ("get", "post"))
@pytest.mark.parametrize("route", STAFF_ROUTES, ids=lambda r: r.name)
def test_a_staff_page_is_refused_to_a_partner_user(partner_client, route, method):
    url = _staff_url(route)
    if url is None:
        pytest.fail(f"{route.name}: no kwargs {route.kwargs} reverse it; extend _CANDIDATES")

    response = getattr(partner_client, method)(url)

    assert response.status_code == 403 or _is_login_redirect(response), (
        f"{method.upper()} {url} -> {response.status_code}"
    )


@pytest.mark.parametrize("method", ALL_METHODS)
@pytest.mark.parametrize(
    "route", [r for r in API_ROUTES if _api_is_staff_only(r)], ids=lambda r: r.name
)
def test_a_staff_api_endpoint_is_refused_to_a_partner_user(partner_client, route, method):
    url = _staff_url(route)

    response = _send(partner_client, method, url, {}, json_body=True)

    assert response.status_code == 403, f"{method.upper()} {url} -> {response.status_code}"
