"""The manager's content library pages: list, detail, create, edit, delete."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from enablement.models import ContentItem, ContentKind, EngagementKind
from tests.enablement.factories import (
    ContentItemFactory,
    EngagementEventFactory,
    LearningStepFactory,
)
from tests.partners.factories import ContactFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory

pytestmark = pytest.mark.django_db

LIST = reverse("enablement:content-list")
CREATE = reverse("enablement:content-create")


def detail(item) -> str:
    return reverse("enablement:content-detail", args=[item.pk])


def update(item) -> str:
    return reverse("enablement:content-update", args=[item.pk])


def delete(item) -> str:
    return reverse("enablement:content-delete", args=[item.pk])


@pytest.fixture
def staff(client, manager):
    client.force_login(manager)
    return client


def local(**delta) -> str:
    """A time `delta` from now as the form's datetime-local input sends it."""
    return timezone.localtime(timezone.now() + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def item_pages():
    item = ContentItemFactory()
    return [LIST, CREATE, detail(item), update(item), delete(item)]


class TestAccess:
    def test_anonymous_visitors_are_sent_to_login(self, client):
        for url in item_pages():
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url

    def test_partner_users_are_refused(self, client, partner_user):
        client.force_login(partner_user)
        for url in item_pages():
            assert client.get(url).status_code == 403, url

    def test_partner_users_cannot_create_content(self, client, partner_user):
        client.force_login(partner_user)
        response = client.post(CREATE, {"kind": "link", "title": "x", "source": "url"})
        assert response.status_code == 403
        assert not ContentItem.objects.exists()

    def test_unknown_content_is_404(self, staff):
        assert staff.get(reverse("enablement:content-detail", args=[999999])).status_code == 404


class TestList:
    def test_lists_items_with_their_audience_and_usage(self, staff):
        # given
        segment = SegmentFactory(name="EMEA resellers")
        item = ContentItemFactory(
            title="Battlecard", segments=[segment], min_tier=tier("gold"), roles=["sales"]
        )
        EngagementEventFactory.create_batch(3, content=item, kind=EngagementKind.VIEW)
        ContentItemFactory(title="Draft notes", published_at=None)
        # when
        response = staff.get(LIST)
        # then
        assert response.status_code == 200
        assert response.context["nav"] == "content"
        html = response.content.decode()
        assert "Battlecard" in html and "Draft notes" in html
        assert "EMEA resellers" in html and "Gold+" in html and "Sales" in html
        row = next(i for i in response.context["page_obj"] if i.pk == item.pk)
        assert row.view_count == 3
        assert row.status == "published"

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ({"kind": "video"}, {"Demo video"}),
            ({"q": "price"}, {"Price list"}),
            ({"status": "draft"}, {"Draft notes"}),
            ({"audience": "everyone"}, {"Price list", "Draft notes"}),
            ({"audience": "tier"}, {"Demo video"}),
        ],
        ids=["kind", "search", "status", "audience-everyone", "audience-tier"],
    )
    def test_filters_narrow_the_list(self, staff, query, expected):
        ContentItemFactory(title="Price list")
        ContentItemFactory(title="Demo video", kind=ContentKind.VIDEO, min_tier=tier("silver"))
        ContentItemFactory(title="Draft notes", published_at=None)
        response = staff.get(LIST, query)
        assert {item.title for item in response.context["page_obj"]} == expected

    def test_an_invalid_filter_is_reported_and_ignored(self, staff):
        ContentItemFactory(title="Price list")
        response = staff.get(LIST, {"kind": "hologram"})
        assert response.status_code == 200
        assert "Some filters were ignored" in response.content.decode()
        assert [item.title for item in response.context["page_obj"]] == ["Price list"]

    def test_empty_library_shows_an_empty_state(self, staff):
        assert "The library is empty" in staff.get(LIST).content.decode()

    def test_query_count_does_not_grow_with_rows(self, staff):
        segment = SegmentFactory()

        def count() -> int:
            with CaptureQueriesContext(connection) as queries:
                assert staff.get(LIST).status_code == 200
            return len(queries)

        ContentItemFactory.create_batch(3, segments=[segment], min_tier=tier("gold"))
        few = count()
        ContentItemFactory.create_batch(20, segments=[segment], min_tier=tier("gold"))
        assert count() == few


class TestDetail:
    def test_shows_audience_reach_and_usage(self, staff):
        # given a gold+ item seen by one contact of a gold partner
        item = ContentItemFactory(title="Gold playbook", min_tier=tier("gold"))
        gold_contact = ContactFactory(partner__tier=tier("gold"))
        ContactFactory(partner__tier=tier("silver"))
        EngagementEventFactory(contact=gold_contact, content=item, kind=EngagementKind.VIEW)
        EngagementEventFactory(
            contact=gold_contact,
            content=item,
            kind=EngagementKind.VIEW,
            at=timezone.now() - dt.timedelta(days=60),
        )
        step = LearningStepFactory(content=item, path__title="Gold onboarding")
        # when
        response = staff.get(detail(item))
        # then
        assert response.status_code == 200
        assert response.context["reach"] == {"contacts": 1, "partners": 1}
        usage = response.context["usage"]
        assert (usage["views"], usage["views_30d"], usage["contacts"]) == (2, 1, 1)
        assert len(usage["weekly"]) == 12
        html = response.content.decode()
        assert "Gold playbook" in html and "Gold onboarding" in html
        assert reverse("enablement:path-detail", args=[step.path_id]) in html

    def test_segment_audience_counts_members_only(self, staff):
        segment = SegmentFactory()
        member = ContactFactory()
        MembershipFactory(segment=segment, partner=member.partner)
        ContactFactory()
        item = ContentItemFactory(segments=[segment])
        assert staff.get(detail(item)).context["reach"]["contacts"] == 1


class TestCreate:
    def test_form_renders(self, staff):
        response = staff.get(CREATE)
        assert response.status_code == 200
        assert 'enctype="multipart/form-data"' in response.content.decode()

    def test_creates_a_link_with_its_audience(self, staff):
        segment = SegmentFactory()
        response = staff.post(
            CREATE,
            {
                "kind": "link",
                "title": "Partner pricing",
                "source": "url",
                "url": "https://example.com/pricing",
                "segments": [segment.pk],
                "min_tier": tier("silver").pk,
                "roles": ["sales", "executive"],
                "publication": "now",
            },
        )
        item = ContentItem.objects.get()
        assert response.status_code == 302
        assert response["Location"] == detail(item)
        assert item.slug == "partner-pricing"
        assert item.url == "https://example.com/pricing"
        assert list(item.segments.all()) == [segment]
        assert item.min_tier == tier("silver")
        assert item.roles == ["executive", "sales"]
        assert item.published_at is not None

    def test_uploads_a_file(self, staff):
        upload = SimpleUploadedFile("deck.pdf", b"%PDF-1.7 deck", content_type="application/pdf")
        response = staff.post(
            CREATE,
            {
                "kind": "document",
                "title": "Deck",
                "source": "file",
                "file": upload,
                "publication": "draft",
            },
        )
        assert response.status_code == 302
        item = ContentItem.objects.get()
        assert item.file_name == "deck.pdf" and item.url == "" and item.body == ""

    def test_a_file_that_is_not_what_it_claims_is_shown_next_to_the_field(self, staff):
        upload = SimpleUploadedFile("deck.pdf", b"MZ not a pdf", content_type="application/pdf")
        response = staff.post(
            CREATE,
            {
                "kind": "document",
                "title": "Deck",
                "source": "file",
                "file": upload,
                "publication": "draft",
            },
        )
        assert response.status_code == 400
        assert response.context["form"].errors["file"] == ["The file's content is not a .pdf file."]
        assert not ContentItem.objects.exists()

    def test_missing_source_and_title_are_field_errors(self, staff):
        response = staff.post(CREATE, {"kind": "link", "title": "", "source": "url"})
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert "title" in errors and errors["url"] == ["Enter the URL to link to."]
        assert "is-invalid" in response.content.decode()

    def test_expiry_before_publication_is_refused(self, staff):
        response = staff.post(
            CREATE,
            {
                "kind": "news",
                "title": "News",
                "source": "body",
                "body": "Hello",
                "publication": "scheduled",
                "published_at": local(days=30),
                "expires_at": local(days=20),
            },
        )
        assert response.status_code == 400
        assert "expires_at" in response.context["form"].errors

    def test_a_taken_slug_is_a_field_error(self, staff):
        ContentItemFactory(slug="pricing")
        response = staff.post(
            CREATE,
            {
                "kind": "link",
                "title": "Pricing",
                "slug": "pricing",
                "source": "url",
                "url": "https://example.com",
                "publication": "draft",
            },
        )
        assert response.status_code == 400
        assert "slug" in response.context["form"].errors


class TestUpdate:
    def test_form_is_filled_with_the_item(self, staff):
        item = ContentItemFactory(title="Old title", roles=["technical"])
        form = staff.get(update(item)).context["form"]
        assert form.initial["title"] == "Old title"
        assert form.initial["source"] == "url"
        assert form.initial["roles"] == ["technical"]

    def test_saves_changes_and_switches_the_source(self, staff):
        item = ContentItemFactory(title="Old title")
        published_at = item.published_at
        response = staff.post(
            update(item),
            {
                "kind": "news",
                "title": "New title",
                "slug": item.slug,
                "source": "body",
                "body": "Release notes",
                "publication": "now",
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.published_at == published_at
        assert (item.title, item.kind, item.body, item.url) == (
            "New title",
            "news",
            "Release notes",
            "",
        )

    def test_keeps_the_stored_file_when_none_is_chosen(self, staff):
        staff.post(
            CREATE,
            {
                "kind": "document",
                "title": "Deck",
                "source": "file",
                "file": SimpleUploadedFile("deck.pdf", b"%PDF-1.7", content_type="application/pdf"),
                "publication": "draft",
            },
        )
        item = ContentItem.objects.get()
        response = staff.post(
            update(item),
            {
                "kind": "document",
                "title": "Deck v2",
                "slug": item.slug,
                "source": "file",
                "publication": "draft",
            },
        )
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.title == "Deck v2" and item.file_name == "deck.pdf"

    def test_invalid_input_keeps_the_item_unchanged(self, staff):
        item = ContentItemFactory(title="Kept")
        response = staff.post(update(item), {"kind": "link", "title": "", "source": "url"})
        assert response.status_code == 400
        item.refresh_from_db()
        assert item.title == "Kept"


LINK = {"kind": "link", "title": "Pricing", "source": "url", "url": "https://example.com/p"}


class TestPublicationStatus:
    """The content form's status control: draft, publish now, or scheduled for a date."""

    def test_a_new_item_is_a_draft_unless_told_otherwise(self, staff):
        form = staff.get(CREATE).context["form"]
        assert form["publication"].value() == "draft"
        html = staff.get(CREATE).content.decode()
        assert "Only channel managers see it" in html and 'data-label-now="Publish"' in html

    def test_the_status_is_required(self, staff):
        response = staff.post(CREATE, LINK)
        assert response.status_code == 400
        assert "publication" in response.context["form"].errors
        assert not ContentItem.objects.exists()

    def test_a_draft_has_no_publication_time_whatever_the_date_input_says(self, staff):
        data = {**LINK, "publication": "draft", "published_at": local(days=-3)}
        assert staff.post(CREATE, data).status_code == 302
        assert ContentItem.objects.get().published_at is None

    def test_publish_now_publishes_at_once(self, staff):
        before = timezone.now()
        assert staff.post(CREATE, {**LINK, "publication": "now"}).status_code == 302
        item = ContentItem.objects.get()
        assert before <= item.published_at <= timezone.now()
        assert ContentItem.objects.published().filter(pk=item.pk).exists()

    def test_scheduling_sets_the_chosen_time(self, staff):
        when = local(days=7)
        response = staff.post(CREATE, {**LINK, "publication": "scheduled", "published_at": when})
        assert response.status_code == 302
        item = ContentItem.objects.get()
        assert timezone.localtime(item.published_at).strftime("%Y-%m-%dT%H:%M") == when
        assert not ContentItem.objects.published().exists()

    @pytest.mark.parametrize(
        ("published_at", "message"),
        [("", "Choose when to publish it."), (local(hours=-1), "Choose a time ahead")],
    )
    def test_scheduling_needs_a_time_ahead(self, staff, published_at, message):
        data = {**LINK, "publication": "scheduled", "published_at": published_at}
        response = staff.post(CREATE, data)
        assert response.status_code == 400
        assert message in response.context["form"].errors["published_at"][0]
        assert not ContentItem.objects.exists()

    def test_publishing_an_item_again_keeps_its_first_publication_time(self, staff):
        item = ContentItemFactory(title="Kept", slug="kept")
        first = item.published_at
        response = staff.get(update(item))
        assert response.context["form"]["publication"].value() == "now"
        assert "Published (since" in response.content.decode()
        staff.post(update(item), {**LINK, "slug": "kept", "publication": "now"})
        item.refresh_from_db()
        assert item.published_at == first

    def test_a_published_item_goes_back_to_draft(self, staff):
        item = ContentItemFactory(slug="back")
        staff.post(update(item), {**LINK, "slug": "back", "publication": "draft"})
        item.refresh_from_db()
        assert item.published_at is None

    @pytest.mark.parametrize(
        ("published", "expires", "publication", "badge"),
        [
            (None, None, "draft", "Draft"),
            (dt.timedelta(days=3), None, "scheduled", "Scheduled for"),
            (dt.timedelta(days=-3), None, "now", "Published"),
            (dt.timedelta(days=-3), dt.timedelta(days=-1), "now", "Expired"),
        ],
    )
    def test_the_form_starts_from_the_item_status_and_shows_it(
        self, staff, published, expires, publication, badge
    ):
        now = timezone.now()
        item = ContentItemFactory(
            published_at=now + published if published else None,
            expires_at=now + expires if expires else None,
        )
        response = staff.get(update(item))
        assert response.context["form"]["publication"].value() == publication
        card = response.content.decode().split('id="publication-card"')[1]
        assert f">{badge}" in card.split("</div>")[0]


class TestStatusBadges:
    def test_the_list_and_the_detail_say_draft_scheduled_published_or_expired(self, staff):
        now = timezone.now()
        soon = now + dt.timedelta(days=5)
        items = {
            "draft": ContentItemFactory(title="A draft", published_at=None),
            "scheduled": ContentItemFactory(title="Coming", published_at=soon),
            "published": ContentItemFactory(title="Live"),
            "expired": ContentItemFactory(
                title="Gone",
                published_at=now - dt.timedelta(days=9),
                expires_at=now - dt.timedelta(days=2),
            ),
        }
        scheduled = f"Scheduled for {formats.date_format(timezone.localtime(soon), 'j M Y, H:i')}"
        html = staff.get(LIST).content.decode()
        for status, item in items.items():
            row = html.split(f">{item.title}</a>")[1].split("</tr>")[0]
            assert f'data-status="{status}"' in row
        assert scheduled in html
        for status, item in items.items():
            assert f'data-status="{status}"' in staff.get(detail(item)).content.decode()
        assert scheduled in staff.get(detail(items["scheduled"])).content.decode()


class TestDelete:
    def test_asks_for_confirmation(self, staff):
        item = ContentItemFactory(title="Old deck")
        response = staff.get(delete(item))
        assert response.status_code == 200
        assert "Old deck" in response.content.decode()
        assert ContentItem.objects.filter(pk=item.pk).exists()

    def test_deletes_on_post(self, staff):
        item = ContentItemFactory()
        response = staff.post(delete(item))
        assert response.status_code == 302 and response["Location"] == LIST
        assert not ContentItem.objects.filter(pk=item.pk).exists()

    def test_content_used_by_a_path_is_kept_with_a_reason(self, staff):
        step = LearningStepFactory(path__title="Onboarding")
        response = staff.post(delete(step.content))
        assert response.status_code == 409
        assert "Onboarding" in response.content.decode()
        assert ContentItem.objects.filter(pk=step.content_id).exists()
