"""The partner portal's learning and inbox pages in Chromium, with screenshots of each."""

import datetime as dt

from django.utils import timezone

from communications.models import Channel, Topic
from enablement.models import ContentKind, Enrollment
from partners.models import ContactRole
from tests.communications.factories import CampaignFactory, MessageFactory, SurveyFactory
from tests.enablement.factories import (
    QUIZ,
    ContentItemFactory,
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

PASSWORD = "partner-browser-pw"


def _partner_user():
    partner = PartnerFactory(name="Northwind Systems", tier=tier("silver"))
    user = UserFactory(username="nina", first_name="Nina", last_name="Novak")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    contact = ContactFactory(
        partner=partner, user=user, first_name="Nina", last_name="Novak", role=ContactRole.SALES
    )
    return user, contact


def _learning_data(contact):
    now = timezone.now()
    library = [
        ("Partner pricing guide 2027", ContentKind.DOCUMENT, "Pricing"),
        ("Cloud migration playbook", ContentKind.PLAYBOOK, "Cloud"),
        ("Selling managed security", ContentKind.VIDEO, "Security"),
        ("Quarterly product news", ContentKind.NEWS, "Cloud"),
        ("Deal registration how-to", ContentKind.LINK, "Program"),
        ("Competitive battlecards", ContentKind.DOCUMENT, "Security"),
    ]
    items = [
        ContentItemFactory(
            title=title,
            kind=kind,
            product_group=topic,
            summary=f"What a {kind} on {topic.lower()} teaches your sales team, in ten minutes.",
            published_at=now - dt.timedelta(days=index + 1),
        )
        for index, (title, kind, topic) in enumerate(library)
    ]
    certification = CertificationFactory(name="Cloud Sales Specialist", validity_days=365)
    path = LearningPathFactory(
        title="Cloud sales foundations",
        description="Four short steps that prepare you to sell our cloud portfolio.",
        awards_certification=certification,
        due_days=30,
    )
    for order, item in enumerate(items[:3], start=1):
        LearningStepFactory(path=path, order=order, content=item)
    quiz_step = LearningStepFactory(
        path=path, order=4, content=items[3], title="Check your knowledge", quiz=QUIZ
    )
    EnrollmentFactory(contact=contact, path=path)
    LearningPathFactory(
        title="Security specialist track",
        description="Position managed security services with confidence.",
        awards_certification=CertificationFactory(name="Security Seller"),
    )
    PartnerCertificationFactory(
        partner=contact.partner,
        certification=CertificationFactory(name="Partner Essentials"),
        expires_at=timezone.localdate() + dt.timedelta(days=40),
    )
    return path, quiz_step


def _inbox_data(contact):
    now = timezone.now()
    survey_campaign = CampaignFactory(name="NPS Q4", topic=Topic.SURVEY)
    SurveyFactory(campaign=survey_campaign)
    survey_message = MessageFactory(
        contact=contact,
        occurrence__campaign=survey_campaign,
        channel=Channel.PORTAL,
        subject="How are we doing, Nina?",
        body=(
            "<h2>Your opinion counts</h2><p>Hello Nina,</p><p>Tell us in one click how likely "
            "you are to recommend our partner program. It takes ten seconds.</p>"
            '<p>Read the <a href="https://example.com/program">program guide</a>.</p>'
        ),
        created_at=now - dt.timedelta(hours=2),
    )
    for hours, subject, topic in (
        (5, "New cloud pricing takes effect in January", Topic.NEWS),
        (30, "Webinar: selling managed security", Topic.EVENTS),
        (80, "You reached Silver: here are your benefits", Topic.PROGRAM),
    ):
        MessageFactory(
            contact=contact,
            occurrence__campaign=CampaignFactory(topic=topic),
            channel=Channel.BOTH,
            subject=subject,
            body=f"Hello Nina,\n\n{subject}. Details at https://example.com/news",
            created_at=now - dt.timedelta(hours=hours),
            read_at=now if hours > 40 else None,
        )
    return survey_message


def _sign_in(page, live_server, user):
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")


def test_partner_user_learns_and_reads_the_inbox(page, live_server, screenshot):
    user, contact = _partner_user()
    path, quiz_step = _learning_data(contact)
    survey_message = _inbox_data(contact)
    _sign_in(page, live_server, user)

    # The learning page: library, paths, certifications.
    page.goto(f"{live_server.url}/portal/learning/")
    page.get_by_role("heading", name="Learning", exact=True).wait_for()
    assert page.get_by_role("heading", name="My learning paths").is_visible()
    screenshot("portal-learning")

    # A path: complete the first step, then pass the quiz.
    page.get_by_role("link", name="Cloud sales foundations").first.click()
    page.get_by_role("heading", name="Cloud sales foundations", level=1).wait_for()
    page.get_by_role("button", name="Mark complete").first.click()
    page.get_by_text("Step marked complete.").wait_for()
    assert Enrollment.objects.get(contact=contact, path=path).progress_pct == 25
    screenshot("portal-path")

    page.goto(f"{live_server.url}/portal/learning/steps/{quiz_step.pk}/quiz/")
    page.get_by_label("3").check()
    page.get_by_label("Rome").check()
    page.get_by_role("button", name="Submit answers").click()
    page.get_by_text("Not passed: you scored 0%.").wait_for()
    screenshot("portal-quiz")

    # The content page.
    page.goto(f"{live_server.url}/portal/learning/")
    page.get_by_role("link", name="Partner pricing guide 2027").click()
    page.get_by_role("heading", name="Partner pricing guide 2027", level=1).wait_for()
    screenshot("portal-content")

    # The inbox and a message with its survey.
    page.goto(f"{live_server.url}/portal/inbox/")
    page.get_by_text("3 unread").first.wait_for()
    screenshot("portal-inbox")
    page.get_by_role("link", name="How are we doing, Nina?").click()
    page.get_by_role("heading", name="How are we doing, Nina?", level=1).wait_for()
    page.locator("label[for=id_score_9]").click()
    page.get_by_label("Why?").fill("Quick answers from the channel team.")
    page.get_by_role("button", name="Send answer").click()
    page.get_by_text("Thank you for your answer.").wait_for()
    survey_message.refresh_from_db()
    assert survey_message.read_at is not None
    screenshot("portal-message")
