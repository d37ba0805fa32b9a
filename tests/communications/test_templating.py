import datetime as dt

import pytest
from django.utils import timezone

from communications.templating import (
    TemplateRenderError,
    extract_links,
    html_links_and_text,
    html_to_text,
    render_message,
    template_errors,
)
from tests.communications.factories import CampaignFactory
from tests.enablement.factories import ContentItemFactory
from tests.partners.factories import ContactFactory, PartnerFactory, tier
from tests.segments.factories import MembershipFactory, SegmentFactory


class TestTemplateErrors:
    def test_a_valid_template_has_no_errors(self):
        # given
        source = "Hi {{ contact.first_name }} of {{ partner.name }} ({{ tier.name }})"

        # when
        errors = template_errors(source)

        # then
        assert errors == []

    def test_a_syntax_error_is_reported_with_its_line(self):
        # given
        source = "Hello {{ contact.first_name }}\n\nBroken {{ partner.name }\nlast line"

        # when
        errors = template_errors(source)

        # then
        assert len(errors) == 1
        assert errors[0]["line"] == 3
        assert errors[0]["message"]

    def test_a_misnested_block_is_a_syntax_error_on_the_line_of_the_wrong_tag(self):
        source = "{% if in_segment('emea') %}\n{% for x in segments %}\n{% endif %}"

        errors = template_errors(source)

        assert errors and errors[0]["line"] == 3
        assert "endfor" in errors[0]["message"]

    def test_an_unknown_filter_is_reported_with_its_line(self):
        errors = template_errors("line one\n{{ contact.first_name|shout }}")

        assert errors == [{"line": 2, "message": "No filter named 'shout'."}]

    @pytest.mark.parametrize(
        "source",
        [
            "ok\n{{ ''.__class__ }}",
            "ok\n{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "ok\n{{ contact['__class__'] }}",
            "ok\n{{ ''|attr('__class__') }}",
        ],
    )
    def test_the_sandbox_refuses_private_attributes_on_save(self, source):
        errors = template_errors(source)

        assert errors and {error["line"] for error in errors} == {2}
        assert any("'__class__'" in error["message"] for error in errors)

    def test_the_sandbox_refuses_unsafe_calls_found_by_the_trial_render(self):
        errors = template_errors("first\n{{ segments.append('vip') }}")

        assert errors and errors[0]["line"] == 2
        assert "unsafe" in errors[0]["message"]

    def test_a_runtime_error_of_the_trial_render_is_reported_with_its_line(self):
        errors = template_errors("a\nb\n{{ 1 / 0 }}")

        assert errors == [{"line": 3, "message": "ZeroDivisionError: division by zero"}]

    @pytest.mark.parametrize(
        "source",
        [
            "{% for i in range(1000) %}{% for j in range(1000) %}.{% endfor %}{% endfor %}",
            "{{ 'x' * 10**10 }}",
            "{{ segments * 1000000 }}",
            "{{ 7 ** 1000000 }}",
        ],
    )
    def test_a_template_that_would_exhaust_the_worker_is_refused_quickly(self, source):
        errors = template_errors(source)

        assert len(errors) == 1
        assert errors[0]["line"] == 1

    def test_the_loop_budget_is_per_render(self):
        source = "{% for i in range(60000) %}{% endfor %}done"

        assert template_errors(source) == []
        assert template_errors(source) == []

    def test_unknown_variables_are_no_error(self):
        assert template_errors("{{ nothing }}{{ nothing.deeper.still }}") == []


@pytest.mark.django_db
class TestRenderMessage:
    def test_renders_contact_partner_and_tier(self):
        # given
        partner = PartnerFactory(name="Acme GmbH", tier=tier("gold"), region="emea", country="DE")
        contact = ContactFactory(partner=partner, first_name="Grace", last_name="Hopper")
        campaign = CampaignFactory(
            subject_template="{{ partner }}: news for {{ contact.role }}",
            body_template=(
                "Dear {{ contact.full_name }},\n{{ partner.name }} is {{ tier.name }} "
                "({{ partner.tier }}) in {{ partner.region }}/{{ partner.country }}. {{ missing }}"
            ),
        )

        # when
        subject, body, links = render_message(campaign=campaign, contact=contact)

        # then
        assert subject == "Acme GmbH: news for sales"
        assert body == "Dear Grace Hopper,\nAcme GmbH is Gold (Gold) in emea/DE. "
        assert links == []

    def test_a_partners_tier_prints_its_name_and_still_compares_with_its_slug(self):
        # given
        partner = PartnerFactory(tier=tier("gold"), region="emea", country="DE")
        contact = ContactFactory(partner=partner)
        campaign = CampaignFactory(
            subject_template="As a {{ partner.tier }} partner",
            body_template=(
                "{% if partner.tier == 'gold' %}gold{% endif %}|{{ partner.tier.slug }}|"
                "{% if tier.slug == 'gold' %}{{ tier }}{% endif %}|{{ partner.region_name }}|"
                "{{ partner.country_name }}|{{ partner.partner_type_name }}"
            ),
        )

        # when
        subject, body, _links = render_message(campaign=campaign, contact=contact)

        # then
        assert subject == "As a Gold partner"
        assert body == (
            f"gold|gold|Gold|Europe, Middle East and Africa|Germany|"
            f"{partner.get_partner_type_display()}"
        )

    def test_a_partner_without_tier_has_no_tier_to_print(self):
        contact = ContactFactory(partner=PartnerFactory(tier=None))
        campaign = CampaignFactory(
            body_template="[{% if partner.tier %}tier{% endif %}][{{ tier.name }}]"
        )

        _subject, body, _links = render_message(campaign=campaign, contact=contact)

        assert body == "[][]"

    def test_segment_specific_blocks_follow_the_partners_segments(self):
        # given
        emea = SegmentFactory(slug="emea")
        in_emea = ContactFactory()
        MembershipFactory(segment=emea, partner=in_emea.partner)
        elsewhere = ContactFactory()
        campaign = CampaignFactory(
            body_template=(
                '{% if in_segment("emea") %}EMEA event{% else %}Global event{% endif %}'
                "|{{ segments|join(',') }}"
            )
        )

        # when
        _, emea_body, _ = render_message(campaign=campaign, contact=in_emea)
        _, other_body, _ = render_message(campaign=campaign, contact=elsewhere)

        # then
        assert emea_body == "EMEA event|emea"
        assert other_body == "Global event|"

    def test_recommended_content_is_the_newest_three_the_contact_may_see(self):
        # given
        contact = ContactFactory()
        now = timezone.now()
        for days, title in [(5, "old"), (4, "older news"), (3, "third"), (2, "second")]:
            ContentItemFactory(title=title, published_at=now - dt.timedelta(days=days))
        ContentItemFactory(
            title="newest", published_at=now - dt.timedelta(days=1), url="https://x.test/new"
        )
        ContentItemFactory(title="not for you", segments=[SegmentFactory()])
        campaign = CampaignFactory(
            body_template="{% for item in recommended_content %}{{ item.title }} {{ item.url }}\n"
            "{% endfor %}"
        )

        # when
        _, body, links = render_message(campaign=campaign, contact=contact)

        # then
        assert [line.split(" ")[0] for line in body.splitlines()] == ["newest", "second", "third"]
        assert links[0] == "https://x.test/new"
        assert len(links) == 3

    def test_context_extra_is_available_and_overrides(self):
        contact = ContactFactory(first_name="Ada")
        campaign = CampaignFactory(body_template="{{ contact.first_name }} {{ unsubscribe_url }}")

        _, body, links = render_message(
            campaign=campaign,
            contact=contact,
            context_extra={"unsubscribe_url": "https://prm.test/u/abc"},
        )

        assert body == "Ada https://prm.test/u/abc"
        assert links == ["https://prm.test/u/abc"]

    def test_an_html_body_escapes_personal_data_and_a_text_body_does_not(self):
        contact = ContactFactory(first_name="<b>Bob</b> & Co")
        html_campaign = CampaignFactory(body_template="<p>Hi {{ contact.first_name }}</p>")
        text_campaign = CampaignFactory(body_template="Hi {{ contact.first_name }}")

        _, html_body, _ = render_message(campaign=html_campaign, contact=contact)
        _, text_body, _ = render_message(campaign=text_campaign, contact=contact)

        assert html_body == "<p>Hi &lt;b&gt;Bob&lt;/b&gt; &amp; Co</p>"
        assert text_body == "Hi <b>Bob</b> & Co"

    def test_the_subject_is_one_line(self):
        contact = ContactFactory(first_name="Ada")
        campaign = CampaignFactory(subject_template="Hello\n  {{ contact.first_name }}\n")

        subject, _, _ = render_message(campaign=campaign, contact=contact)

        assert subject == "Hello Ada"

    def test_a_template_that_escaped_validation_raises_a_render_error(self):
        # given: saved directly, past the service's check
        campaign = CampaignFactory(body_template="fine\n{{ ''.__class__.__name__ }}")

        # when / then
        with pytest.raises(TemplateRenderError) as raised:
            render_message(campaign=campaign, contact=ContactFactory())
        assert raised.value.field == "body_template"
        assert raised.value.line == 2
        assert "unsafe" in raised.value.message

    def test_a_syntax_error_at_send_time_raises_a_render_error(self):
        campaign = CampaignFactory(subject_template="{{ broken ")

        with pytest.raises(TemplateRenderError) as raised:
            render_message(campaign=campaign, contact=ContactFactory())
        assert raised.value.field == "subject_template"
        assert raised.value.line == 1

    def test_segments_and_content_are_queried_only_when_the_template_uses_them(
        self, django_assert_num_queries
    ):
        contact = ContactFactory(partner=PartnerFactory(tier=tier("silver")))
        contact = type(contact).objects.select_related("partner__tier").get(pk=contact.pk)
        campaign = CampaignFactory(body_template="Hi {{ contact.first_name }} {{ tier.name }}")

        with django_assert_num_queries(0):
            render_message(campaign=campaign, contact=contact)


class TestLinks:
    def test_text_links_are_absolute_http_urls_without_trailing_punctuation(self):
        body = (
            "See https://example.com/a. And (https://example.com/b) or "
            "http://example.com/c?x=1&y=2, https://example.com/wiki/Foo_(bar)!\n"
            "mailto:someone@example.com ftp://example.com/x https://example.com/a"
        )

        assert extract_links(body, is_html=False) == [
            "https://example.com/a",
            "https://example.com/b",
            "http://example.com/c?x=1&y=2",
            "https://example.com/wiki/Foo_(bar)",
        ]

    def test_html_links_are_the_unescaped_hrefs_and_written_out_urls(self):
        body = (
            '<p><a href="https://example.com/x?a=1&amp;b=2">x</a> '
            '<a href="/relative">rel</a> <a href="mailto:a@b.c">mail</a> '
            '<img src="https://example.com/pixel.gif"> https://example.com/plain</p>'
        )

        assert extract_links(body, is_html=True) == [
            "https://example.com/x?a=1&b=2",
            "https://example.com/plain",
        ]

    def test_html_to_text_keeps_paragraphs_and_link_targets(self):
        text = html_to_text(
            "<html><head><style>p{}</style></head><body><h1>Title</h1>"
            '<p>Read <a href="https://example.com/r">this</a>.</p><ul><li>one</li></ul></body>'
        )

        assert text == "Title\n\nRead this (https://example.com/r).\n\n- one"

    @pytest.mark.parametrize(
        "body",
        [
            "<html><head><title>t https://example.com/title</title></head><body><p>Hi "
            '<a href="https://example.com/a?x=1&amp;y=2">A</a></p></body></html>',
            '<div><area href=" https://example.com/area "><a href="/rel">r</a>'
            "<script>var u = 'https://example.com/script';</script>"
            "https://example.com/text, &amp; https://example.com/a?x=1&y=2</div>",
            '<ul><li><a href="https://example.com/1">one</a></li><br/><li>two</li></ul>'
            "<!-- https://example.com/comment --><p>&lt;https://example.com/esc&gt;</p>",
            "<p>unclosed <a href='https://example.com/u'>link <b>bold",
        ],
    )
    def test_one_pass_gives_the_links_and_text_of_the_two_parsers(self, body):
        # when
        links, text = html_links_and_text(body)
        # then
        assert links == extract_links(body, is_html=True)
        assert text == html_to_text(body)
