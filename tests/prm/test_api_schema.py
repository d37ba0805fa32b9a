"""The OpenAPI schema says what the API really answers (each case found by the fuzz test,
tests/prm/test_fuzz_api.py)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _responses(openapi, path, method) -> dict:
    return openapi["paths"][path][method]["responses"]


def test_every_operation_documents_its_error_answers(openapi):
    assert set(_responses(openapi, "/api/partners/", "get")) >= {"200", "400", "401", "403"}
    assert set(_responses(openapi, "/api/partners/{id}/", "delete")) >= {"400", "404", "409"}
    assert set(_responses(openapi, "/api/partners/export/", "get")) >= {"400"}


def test_error_answers_are_json_with_a_detail(openapi):
    forbidden = _responses(openapi, "/api/segments/", "get")["403"]

    assert forbidden["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_a_declared_error_shape_is_kept(openapi):
    imported = _responses(openapi, "/api/partners/import/", "post")["400"]

    assert imported["content"]["application/json"]["schema"]["$ref"].endswith("ImportErrors")


@pytest.mark.parametrize(
    ("component", "field"),
    [("Campaign", "created_by"), ("Segment", "owner"), ("ContentItem", "download_url")],
)
def test_fields_that_can_be_null_are_documented_nullable(openapi, component, field):
    assert openapi["components"]["schemas"][component]["properties"][field].get("nullable")


def test_export_documents_both_file_types(openapi):
    content = _responses(openapi, "/api/partners/export/", "get")["200"]["content"]

    assert set(content) == {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }


def test_a_message_that_was_not_suppressed_has_a_documented_blank_reason(openapi):
    reason = openapi["components"]["schemas"]["Message"]["properties"]["suppression_reason"]

    assert {"$ref": "#/components/schemas/BlankEnum"} in reason["oneOf"]


def test_campaign_errors_document_a_plain_message_for_a_missing_template(openapi):
    errors = openapi["components"]["schemas"]["CampaignErrors"]["properties"]["subject_template"]

    assert {"type": "string"} in errors["items"]["oneOf"]
