"""The manager's enablement and tier screens in a real browser: the content library, a
learning path, the certification catalogue, and the tiers page with a live what-if."""

import datetime as dt
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from playwright.sync_api import expect

from enablement import services
from enablement.models import ContentKind, EngagementKind, StepCompletion
from partners import tiers
from partners.models import TierChange
from tests.browser.conftest import watch_console
from tests.enablement.factories import (
    QUIZ,
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
    UserFactory,
    tier,
)
from tests.segments.factories import MembershipFactory, SegmentFactory

COMPANIES = [
    "Northwind Systems",
    "Contoso Cloud",
    "Fabrikam IT",
    "Adatum Networks",
    "Litware Labs",
    "Proseware Partners",
    "Tailspin Digital",
    "Woodgrove Solutions",
    "Alpine Data",
    "Blue Yonder Tech",
    "Coho Integrations",
    "Lucerne Consulting",
]


def build_program(manager) -> dict:
    """Content, a learning path with steps and enrolments, certifications with holders, and
    partners across the tiers."""
    today = timezone.localdate()
    now = timezone.now()
    emea = SegmentFactory(name="EMEA cloud resellers", slug="emea-cloud")
    cloud = CertificationFactory(
        slug="cloud-architect",
        name="Cloud Architect",
        validity_days=730,
        skills=["Landing zones", "Networking", "Cost control"],
    )
    security = CertificationFactory(slug="security-pro", name="Security Professional")
    CertificationFactory(slug="sales-foundations", name="Sales Foundations", validity_days=None)
    tier("gold").required_certifications.add(cloud, security)

    items = [
        services.content_create(
            data={
                "kind": ContentKind.DOCUMENT,
                "title": "Partner price list 2026",
                "summary": "List prices and partner discounts by tier.",
                "file": SimpleUploadedFile(
                    "price-list-2026.pdf", b"%PDF-1.7 prices", content_type="application/pdf"
                ),
                "published_at": now - dt.timedelta(days=3),
                "min_tier": tier("silver"),
                "roles": ["sales", "executive"],
            }
        ),
        ContentItemFactory(
            title="Cloud migration playbook",
            kind=ContentKind.PLAYBOOK,
            summary="Step-by-step plan for migration projects.",
            segments=[emea],
        ),
        ContentItemFactory(
            title="Product demo: analytics suite",
            kind=ContentKind.VIDEO,
            summary="A 20-minute walkthrough for customer demos.",
        ),
        ContentItemFactory(
            title="Q3 partner newsletter",
            kind=ContentKind.NEWS,
            url="",
            body="Highlights of the quarter.",
            published_at=None,
        ),
        ContentItemFactory(
            title="Security reference architecture",
            kind=ContentKind.LINK,
            min_tier=tier("gold"),
            roles=["technical"],
            expires_at=now + dt.timedelta(days=90),
        ),
    ]
    partners = []
    tiers_cycle = [
        "registered",
        "registered",
        "silver",
        "silver",
        "silver",
        "gold",
        "gold",
        "platinum",
        "registered",
        "silver",
        "gold",
        "registered",
    ]
    for index, (name, slug) in enumerate(zip(COMPANIES, tiers_cycle, strict=True)):
        partners.append(
            PartnerFactory(
                name=name,
                tier=tier(slug),
                revenue_12m=Decimal(150_000 + index * 180_000),
                deals_won_12m=4 + index * 3,
                enablement_completion_pct=30 + index * 5,
            )
        )
    for partner in partners[::2]:
        MembershipFactory(segment=emea, partner=partner)
    contacts = [
        ContactFactory(partner=partner, first_name=first, last_name=last, role=role)
        for partner, (first, last, role) in zip(
            partners,
            [
                ("Ana", "Silva", "sales"),
                ("Ben", "Okafor", "technical"),
                ("Chloé", "Martin", "sales"),
                ("Dev", "Patel", "technical"),
                ("Eva", "Novak", "marketing"),
                ("Femi", "Adeyemi", "sales"),
                ("Greta", "Lind", "technical"),
                ("Hiro", "Tanaka", "executive"),
                ("Ines", "Costa", "sales"),
                ("Jon", "Berg", "technical"),
            ],
            strict=False,
        )
    ]
    for index, item in enumerate(items[:3]):
        for contact in contacts[: 8 - index * 2]:
            EngagementEventFactory(
                contact=contact,
                content=item,
                kind=EngagementKind.VIEW,
                at=now - dt.timedelta(days=index * 9 + 2),
            )
    path = LearningPathFactory(
        title="Cloud Architect certification track",
        slug="cloud-architect-track",
        description="From the basics of the platform to a certified cloud architect.",
        awards_certification=cloud,
        auto_enrol_segment=emea,
        due_days=60,
        min_tier=tier("silver"),
    )
    steps = [
        LearningStepFactory(path=path, order=1, content=items[2], title="Platform overview"),
        LearningStepFactory(path=path, order=2, content=items[1], title="Migration methods"),
        LearningStepFactory(
            path=path, order=3, content=items[4], title="Security design", quiz=QUIZ, pass_mark=80
        ),
    ]
    for index, contact in enumerate(contacts):
        done = index % 4
        enrolled_at = now - dt.timedelta(days=50 - index * 4)
        enrollment = EnrollmentFactory(
            contact=contact,
            path=path,
            enrolled_at=enrolled_at,
            progress_pct=round(100 * min(done, 3) / 3, 1),
            completed_at=now - dt.timedelta(days=index) if done == 3 else None,
            due_at=enrolled_at + dt.timedelta(days=60),
        )
        for step in steps[: min(done, 3)]:
            StepCompletion.objects.create(enrollment=enrollment, step=step, completed_at=now)
    LearningPathFactory(
        title="Sales foundations", slug="sales-foundations", description="Positioning."
    )
    for index, partner in enumerate(partners[:9]):
        PartnerCertificationFactory(
            partner=partner,
            certification=cloud,
            expires_at=today + dt.timedelta(days=[12, 25, 200, 320, 400, -10, 90, 500, 18][index]),
        )
    for partner in partners[5:9]:
        PartnerCertificationFactory(partner=partner, certification=security)
    # the evaluation queues the moves the current requirements call for; one was decided
    tiers.tiers_evaluate(apply=False)
    first = TierChange.objects.pending().order_by("partner__name").first()
    tiers.tier_change_reject(change=first, user=manager)
    return {"path": path, "partners": partners}


def test_manager_browses_enablement_and_runs_a_tier_what_if(
    manager_page, browser_manager, screenshot
):
    # given a program with content, a path, certifications and partners across the tiers
    data = build_program(browser_manager)
    page = manager_page
    base = page.live_server_url

    # the content library
    page.goto(f"{base}/enablement/content/")
    expect(page.get_by_role("heading", name="Content library")).to_be_visible()
    table = page.locator("#content-table")
    expect(table.get_by_role("link", name="Partner price list 2026", exact=True)).to_be_visible()
    expect(table).to_contain_text("EMEA cloud resellers")
    expect(table).to_contain_text("Draft")
    screenshot("enablement-content")
    # an item's page says who can see it and how it is used
    table.get_by_role("link", name="Cloud migration playbook", exact=True).click()
    expect(page.locator("[data-stat=views]")).to_have_text("6")
    expect(page.get_by_text("Members of EMEA cloud resellers")).to_be_visible()
    screenshot("enablement-content-detail")
    page.go_back()
    # the form shows the input of the chosen source only
    page.get_by_role("link", name="New content").click()
    expect(page.get_by_label("File", exact=True)).to_be_visible()
    page.get_by_text("Link to a URL").click()
    expect(page.get_by_label("URL", exact=True)).to_be_visible()
    expect(page.get_by_label("File", exact=True)).to_be_hidden()
    page.wait_for_timeout(300)  # let the toggle's colour transition finish
    screenshot("enablement-content-form")
    page.go_back()
    # filtering by type narrows it
    page.get_by_label("Type").select_option("video")
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("Product demo: analytics suite")

    # a learning path
    page.goto(f"{base}/enablement/paths/")
    page.get_by_role("link", name="Cloud Architect certification track", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Cloud Architect certification track")))
    expect(page.locator("#path-steps li")).to_have_count(3)
    expect(page.locator("[data-stat=enrolled]")).to_have_text("10")
    screenshot("enablement-path")
    # its steps are edited in place: add one at the end, then move it up
    page.get_by_role("link", name="Edit path and steps").click()
    editor = page.locator("#steps-editor")
    editor.get_by_label("Content").select_option(label="Partner price list 2026")
    editor.get_by_label("Title").fill("Pricing essentials")
    editor.get_by_role("button", name="Add step").click()
    expect(editor.locator("li[data-step]")).to_have_count(4)
    expect(editor.locator("li[data-step]").nth(3)).to_contain_text("Pricing essentials")
    editor.get_by_role("button", name="Move step 4 up").click()
    expect(editor.locator("li[data-step]").nth(2)).to_contain_text("Pricing essentials")
    # a step without content is refused next to the field
    editor.get_by_role("button", name="Add step").click()
    expect(editor.locator(".invalid-feedback")).to_contain_text("This field is required")
    expect(editor.locator("li[data-step]")).to_have_count(4)
    screenshot("enablement-path-edit")

    # the certification catalogue
    page.goto(f"{base}/enablement/certifications/")
    row = page.locator("#certification-table tr", has_text="Cloud Architect")
    expect(row).to_contain_text("8")  # active holders
    screenshot("enablement-certifications")
    row.get_by_role("link", name="Cloud Architect", exact=True).click()
    expect(page.locator("#holder-table tbody tr")).to_have_count(9)
    screenshot("enablement-certification-detail")

    # the partner page's enablement panel
    partner = data["partners"][2]
    page.goto(f"{base}/partners/{partner.pk}/")
    panel = page.locator("[data-panel=enablement]")
    expect(panel.locator("#enablement-panel")).to_be_visible()
    expect(panel).to_contain_text("Cloud Architect certification track")
    expect(panel).to_contain_text("Cloud Architect")
    panel.scroll_into_view_if_needed()
    screenshot("enablement-partner-panel")

    # the tiers page and the what-if
    page.goto(f"{base}/partners/tiers/")
    expect(page.get_by_role("heading", name="Partner tiers")).to_be_visible()
    expect(page.locator("[data-tier=gold] [data-partner-count]")).to_have_text("3")
    expect(page.locator("#recent-table")).to_contain_text("Rejected")
    screenshot("tiers")
    # approving a pending change applies it in place
    pending = page.locator("#pending-table tbody tr").first
    pending_id = pending.get_attribute("id")
    page.once("dialog", lambda dialog: dialog.accept())  # Approve asks first (hx-confirm)
    pending.get_by_role("button", name="Approve").click()
    expect(page.locator(f"#{pending_id}")).to_contain_text("Applied")
    page.get_by_role("link", name="What if…").click()
    up = page.locator("[data-result=up]")
    before = up.inner_text()
    # when gold asked far less: no certifications and a lower revenue
    page.get_by_label("Gold: Active certifications").fill("")
    page.get_by_label("Gold: Revenue, 12 months").fill("300000")
    page.get_by_label("Gold: Deals won, 12 months").fill("5")
    # then the result updates without a page load and shows who would move up
    expect(up).not_to_have_text(before)
    expect(page.locator("#what-if-result")).to_contain_text("Gold")
    expect(page.locator("input.changed")).to_have_count(3)
    screenshot("tiers-what-if")
    assert data["path"].steps.count() == 4


PARTNER_PASSWORD = "partner-quiz-pw"


def test_manager_builds_a_quiz_with_the_editor_and_a_partner_user_passes_it(
    manager_page, browser, live_server, screenshot
):
    # given a learning path with one step, and a partner user enrolled in it
    partner = PartnerFactory(name="Northwind Systems", tier=tier("silver"))
    user = UserFactory(username="nina")
    user.set_password(PARTNER_PASSWORD)
    user.save(update_fields=["password"])
    contact = ContactFactory(partner=partner, user=user, first_name="Nina", role="sales")
    path = LearningPathFactory(title="Secure web basics", is_active=True)
    LearningStepFactory(
        path=path, order=1, content=ContentItemFactory(title="Why TLS"), title="Why TLS"
    )
    ContentItemFactory(title="TLS in practice")
    EnrollmentFactory(contact=contact, path=path)
    page = manager_page

    # when the manager writes a quiz for a new step, question by question
    page.goto(f"{page.live_server_url}/enablement/paths/{path.pk}/edit/")
    editor = page.locator("#steps-editor")
    editor.get_by_label("Content").select_option(label="TLS in practice")
    editor.get_by_label("Title").fill("Check your knowledge")
    expect(editor.get_by_text("No quiz: partners complete this step")).to_be_visible()
    editor.get_by_role("button", name="Add question").click()
    expect(editor.get_by_label("Question 1", exact=True)).to_be_focused()
    editor.get_by_label("Question 1", exact=True).fill("Which port does HTTPS use?")
    editor.get_by_label("Question 1, choice 1", exact=True).fill("80")
    editor.get_by_label("Question 1, choice 2", exact=True).fill("443")
    editor.get_by_label("Choice 2 of question 1 is the right answer").check()
    editor.get_by_role("button", name="Add question").click()
    editor.get_by_label("Question 2", exact=True).fill("What does the padlock mean?")
    editor.get_by_label("Question 2, choice 1", exact=True).fill("The site is safe")
    editor.get_by_label("Question 2, choice 2", exact=True).fill("The connection is encrypted")
    editor.get_by_role("button", name="Add a choice to question 2").click()
    expect(editor.get_by_label("Question 2, choice 3", exact=True)).to_be_focused()
    editor.get_by_label("Question 2, choice 3", exact=True).fill("Nothing")
    editor.get_by_label("Choice 2 of question 2 is the right answer").check()
    # a third question, left without its right answer
    editor.get_by_role("button", name="Add question").click()
    editor.get_by_label("Question 3", exact=True).fill("Is HTTP/3 over UDP?")
    editor.get_by_label("Question 3, choice 1", exact=True).fill("Yes")
    editor.get_by_label("Question 3, choice 2", exact=True).fill("No")
    # and the padlock question moved to the top
    editor.get_by_role("button", name="Move question 2 up").click()
    expect(editor.get_by_label("Question 1", exact=True)).to_have_value(
        "What does the padlock mean?"
    )
    expect(editor.get_by_label("Choice 2 of question 1 is the right answer")).to_be_checked()
    expect(editor.get_by_label("Choice 2 of question 2 is the right answer")).to_be_checked()
    editor.get_by_label("Pass mark").fill("100")

    # then saving is refused, with the problem next to its question, and nothing saved
    editor.get_by_role("button", name="Add step").click()
    question = editor.locator("[data-quiz-question]").nth(2)
    expect(question.locator(".invalid-feedback")).to_have_text("Mark the right choice.")
    expect(editor.get_by_role("alert")).to_contain_text("The quiz has 1 problem")
    expect(editor.locator("li[data-step]")).to_have_count(1)
    expect(editor.get_by_label("Question 2", exact=True)).to_have_value(
        "Which port does HTTPS use?"
    )
    page.wait_for_timeout(300)  # let the saving indicator fade out
    screenshot("enablement-quiz-editor-error")

    # and once the answer is marked it is saved as the quiz's JSON
    editor.get_by_label("Choice 1 of question 3 is the right answer").check()
    editor.get_by_role("button", name="Remove choice 3 of question 1").click()
    editor.get_by_role("button", name="Add step").click()
    expect(editor.locator("li[data-step]")).to_have_count(2)
    expect(editor.locator("li[data-step]").nth(1)).to_contain_text("3-question quiz, pass 100%")
    step = path.steps.get(order=2)
    assert step.pass_mark == 100
    assert step.quiz == [
        {
            "question": "What does the padlock mean?",
            "options": ["The site is safe", "The connection is encrypted"],
            "answer_index": 1,
        },
        {"question": "Which port does HTTPS use?", "options": ["80", "443"], "answer_index": 1},
        {"question": "Is HTTP/3 over UDP?", "options": ["Yes", "No"], "answer_index": 0},
    ]
    # the step opens again in the editor as it was saved
    editor.get_by_role("link", name="Edit step 2").click()
    expect(editor.get_by_text("Edit step 2")).to_be_visible()
    expect(editor.get_by_label("Question 3", exact=True)).to_have_value("Is HTTP/3 over UDP?")
    expect(editor.get_by_label("Choice 1 of question 3 is the right answer")).to_be_checked()
    screenshot("enablement-quiz-editor")

    # when the partner user takes the quiz in the portal
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    partner_page = context.new_page()
    problems = watch_console(partner_page)
    partner_page.set_default_timeout(15_000)
    partner_page.goto(f"{live_server.url}/accounts/login/")
    partner_page.get_by_label("Username").fill("nina")
    partner_page.get_by_label("Password").fill(PARTNER_PASSWORD)
    partner_page.get_by_role("button", name="Sign in").click()
    partner_page.wait_for_url(f"{live_server.url}/portal/")
    partner_page.goto(f"{live_server.url}/portal/learning/paths/{path.pk}/")
    partner_page.get_by_role("link", name="Take the quiz").click()
    partner_page.get_by_label("The connection is encrypted").check()
    partner_page.get_by_label("443").check()
    partner_page.get_by_label("Yes").check()
    partner_page.get_by_role("button", name="Submit answers").click()

    # then they pass it, and the step is complete
    expect(partner_page.get_by_role("heading", name="Passed")).to_be_visible()
    expect(partner_page.get_by_text("You scored 100%")).to_be_visible()
    assert StepCompletion.objects.filter(step=step, enrollment__contact=contact).exists()
    context.close()
    assert not problems, "\n".join(problems)


def test_manager_schedules_content_and_sees_its_status_everywhere(manager_page, screenshot):
    # given an empty library
    page = manager_page
    page.goto(f"{page.live_server_url}/enablement/content/new/")
    form = page.locator("#content-form")
    # a new item is a draft, and the button says so; no publication date is asked
    expect(form.get_by_label("Draft")).to_be_checked()
    expect(form.get_by_role("button", name="Save draft")).to_be_visible()
    expect(form.get_by_label("Publish on")).to_be_hidden()

    # when the manager writes a link and schedules it for next week
    form.get_by_label("Type").select_option("link")
    form.get_by_label("Title", exact=True).fill("Partner summit agenda")
    page.get_by_text("Link to a URL").click()
    form.get_by_label("URL", exact=True).fill("https://example.com/summit")
    form.get_by_label("Schedule for later").check()
    expect(form.get_by_role("button", name="Schedule")).to_be_visible()
    when = timezone.localtime(timezone.now() + dt.timedelta(days=7)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    form.get_by_label("Publish on").fill(when.strftime("%Y-%m-%dT%H:%M"))
    screenshot("enablement-content-schedule")
    form.get_by_role("button", name="Schedule").click()

    # then its page and the library say when partners will see it
    badge = f"Scheduled for {when:%-d %b %Y}, 09:30"
    expect(page.locator("[data-status=scheduled]")).to_have_text(badge)
    page.goto(f"{page.live_server_url}/enablement/content/")
    row = page.locator("#content-table tr", has_text="Partner summit agenda")
    expect(row.locator("[data-status=scheduled]")).to_have_text(badge)

    # and publishing it now makes it Published
    row.get_by_role("link", name="Edit Partner summit agenda").click()
    expect(page.get_by_label("Schedule for later")).to_be_checked()
    page.get_by_label("Publish now").check()
    expect(page.get_by_label("Publish on")).to_be_hidden()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("[data-status=published]")).to_have_text("Published")
