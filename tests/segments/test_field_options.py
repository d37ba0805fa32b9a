"""The tag and certification pickers of the rule builder: the field registry's catalogue (the
builder's and the `fields` API's) lists the existing tags and certifications by name, the
rule summary shows those names, and a slug that no longer exists still shows and validates
as before."""

import pytest
from django.urls import reverse

from segments.fields import FIELDS, field_catalogue
from segments.rules import validate_rule
from segments.views.display import RuleDescriber
from tests.partners.factories import CertificationFactory, IndustryFactory, TechnologyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tags():
    TechnologyFactory(slug="azure", name="Microsoft Azure")
    TechnologyFactory(slug="aws", name="Amazon Web Services")
    IndustryFactory(slug="health", name="Healthcare")
    CertificationFactory(slug="cloud-architect", name="Cloud Architect")


def test_every_tag_field_of_the_registry_names_its_catalogue():
    tag_fields = [spec for spec in FIELDS.values() if spec.tags is not None]
    assert {spec.name for spec in tag_fields} == {"industries", "technologies", "certifications"}
    assert all(spec.tags.model is not None for spec in tag_fields)


def test_the_catalogue_lists_the_tags_and_certifications_by_name(tags):
    # when
    catalogue = {entry["name"]: entry for entry in field_catalogue()}
    # then each tag field offers the existing tags, by name
    assert catalogue["technologies"]["choices"] == [
        {"value": "aws", "label": "Amazon Web Services"},
        {"value": "azure", "label": "Microsoft Azure"},
    ]
    assert catalogue["industries"]["choices"] == [{"value": "health", "label": "Healthcare"}]
    assert catalogue["certifications"]["choices"] == [
        {"value": "cloud-architect", "label": "Cloud Architect"}
    ]
    # and the kinds of value say which take one tag and which a list
    assert catalogue["technologies"]["value_kinds"] == {
        "has": "tag",
        "has_any": "tags",
        "has_all": "tags",
        "has_none": "tags",
    }


def test_the_catalogue_costs_one_query_per_catalogue(tags, django_assert_num_queries):
    # the tiers, then industries, technologies and certifications
    with django_assert_num_queries(4):
        field_catalogue()


def test_the_fields_api_carries_the_picker_choices(manager_client, tags):
    response = manager_client.get("/api/segments/fields/")
    assert response.status_code == 200
    fields = {field["name"]: field for field in response.json()}
    assert {"value": "azure", "label": "Microsoft Azure"} in fields["technologies"]["choices"]
    assert fields["certifications"]["choices"] == [
        {"value": "cloud-architect", "label": "Cloud Architect"}
    ]


def test_the_builder_page_has_the_choices_in_its_catalogue(client, manager, tags):
    client.force_login(manager)
    response = client.get(reverse("segments:create"))
    fields = {entry["name"]: entry for entry in response.context["catalogue"]}
    assert {"value": "health", "label": "Healthcare"} in fields["industries"]["choices"]
    assert "tags" not in response.context["options"]


def test_the_rule_summary_shows_names_and_keeps_an_unknown_slug(tags):
    # given a rule naming two known technologies, a slug no tag has, and a certification
    rule = {
        "all": [
            {"field": "technologies", "op": "has_any", "value": ["aws", "azure", "retired"]},
            {"field": "certifications", "op": "has", "value": "cloud-architect"},
        ]
    }
    # when
    tree = RuleDescriber().describe(rule)
    # then
    technologies, certifications = tree["children"]
    assert technologies["field"] == "Technologies"
    assert technologies["value"] == "Amazon Web Services, Microsoft Azure, retired"
    assert certifications["value"] == "Cloud Architect"


def test_a_slug_without_a_tag_still_validates_as_before(tags):
    rule = {"field": "technologies", "op": "has_all", "value": ["aws", "no-such-tag"]}
    assert validate_rule(rule) == []
