import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from enablement import services
from enablement.models import ContentItem, ContentKind, content_storage
from tests.enablement.factories import ContentItemFactory, LearningStepFactory
from tests.segments.factories import SegmentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n" + b"x" * 100


def upload(name="guide.pdf", data=PDF, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


class TestContentFileCheck:
    @pytest.mark.parametrize(
        ("name", "data", "content_type"),
        [
            ("guide.pdf", PDF, "application/pdf"),
            ("deck.pptx", b"PK\x03\x04rest", "application/octet-stream"),
            ("photo.jpg", b"\xff\xd8\xff\xe0rest", "image/jpeg"),
            ("intro.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4"),
            ("notes.md", "# Überblick\n".encode(), "text/markdown"),
        ],
    )
    def test_accepts_allowed_files(self, name, data, content_type):
        services.content_file_check(file=upload(name, data, content_type))

    def test_refuses_a_file_over_the_size_limit(self, settings):
        # given
        settings.PRM_CONTENT_MAX_UPLOAD_BYTES = 50
        # when / then
        with pytest.raises(ValidationError, match="the limit is 50 bytes"):
            services.content_file_check(file=upload())

    @pytest.mark.parametrize("name", ["setup.exe", "page.html", "README"])
    def test_refuses_extensions_not_accepted(self, name):
        with pytest.raises(ValidationError, match="not accepted"):
            services.content_file_check(file=upload(name, b"MZ", "application/octet-stream"))

    def test_refuses_a_declared_content_type_of_another_kind(self):
        with pytest.raises(ValidationError, match="text/html does not match"):
            services.content_file_check(file=upload(content_type="text/html"))

    def test_refuses_content_that_is_not_what_its_extension_says(self):
        with pytest.raises(ValidationError, match=r"not a \.pdf file"):
            services.content_file_check(file=upload(data=b"<script>alert(1)</script>"))


class TestContentCreate:
    def test_stores_an_upload_outside_any_public_url(self):
        # when
        item = services.content_create(
            data={"kind": ContentKind.DOCUMENT, "title": "Partner guide", "file": upload()}
        )
        # then
        assert item.slug == "partner-guide"
        assert item.file_name == "guide.pdf"
        assert content_storage().exists(item.file.name)
        assert content_storage().path(item.file.name).endswith(f"protected/{item.file.name}")
        with pytest.raises(ValueError, match="no public URL"):
            _ = item.file.url

    @pytest.mark.parametrize(
        "sources",
        [{}, {"url": "https://example.com", "body": "text"}],
        ids=["none", "two"],
    )
    def test_needs_exactly_one_of_file_url_and_body(self, sources):
        with pytest.raises(ValidationError, match="exactly one of file, url or body"):
            services.content_create(data={"kind": "link", "title": "T", **sources})
        assert not ContentItem.objects.exists()

    def test_refuses_unknown_roles(self):
        with pytest.raises(ValidationError, match="Unknown roles"):
            services.content_create(
                data={"kind": "news", "title": "T", "body": "b", "roles": ["ceo"]}
            )

    def test_sets_audience_segments(self):
        segment = SegmentFactory()
        item = services.content_create(
            data={"kind": "news", "title": "T", "body": "b", "segments": [segment]}
        )
        assert list(item.segments.all()) == [segment]

    def test_rich_text_body_keeps_formatting_and_loses_scripts(self):
        item = services.content_create(
            data={
                "kind": "news",
                "title": "T",
                "body": '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>',
            }
        )
        assert item.body == "<p>Hi <b>there</b></p>"
        assert item.body_html == "<p>Hi <b>there</b></p>"


class TestContentUpdateAndDelete:
    def test_a_replaced_file_is_deleted_after_commit(self, django_capture_on_commit_callbacks):
        # given
        item = services.content_create(data={"kind": "document", "title": "T", "file": upload()})
        old_name = item.file.name
        # when
        with django_capture_on_commit_callbacks(execute=True):
            services.content_update(content=item, data={"file": None, "url": "https://x.org"})
        # then
        item.refresh_from_db()
        assert (item.file.name, item.url) == ("", "https://x.org")
        assert not content_storage().exists(old_name)

    def test_delete_removes_the_file_after_commit(self, django_capture_on_commit_callbacks):
        item = services.content_create(data={"kind": "document", "title": "T", "file": upload()})
        name = item.file.name
        with django_capture_on_commit_callbacks(execute=True):
            services.content_delete(content=item)
        assert not ContentItem.objects.exists()
        assert not content_storage().exists(name)

    def test_delete_is_refused_while_a_learning_step_uses_it(self):
        step = LearningStepFactory()
        with pytest.raises(ValidationError, match="Learning paths use this content"):
            services.content_delete(content=step.content)
        assert ContentItem.objects.filter(pk=step.content_id).exists()

    def test_update_keeps_the_slug_unique(self):
        ContentItemFactory(slug="taken")
        item = ContentItemFactory()
        with pytest.raises(ValidationError, match="slug"):
            services.content_update(content=item, data={"slug": "taken"})
