"""The OpenAPI schema documents the errors every endpoint can answer, not only its success:
clients (and the schemathesis fuzz test, tests/prm/test_fuzz_api.py) rely on every status code
the API sends being in the schema."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.serializers import PolymorphicProxySerializerExtension
from drf_spectacular.utils import PolymorphicProxySerializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    """An error answer: `detail` when the request is refused as a whole; for invalid input, the
    messages by field name (`{"name": ["This field is required."]}`)."""

    detail = serializers.CharField(required=False, help_text="Why the request was refused.")


_ERRORS = {
    "400": "Invalid input; the messages say what to change. Nothing was written.",
    "401": "No valid credentials: a missing, unknown or expired token.",
    "403": "Signed in, but not allowed to do this.",
    "404": "No such object (or page), or not one the caller may see.",
    "409": "The object is still in use.",
    "429": "Too many requests; retry after the number of seconds in Retry-After.",
}


class ErrorDocumentingAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error answers an operation can give (an error
    response declared with @extend_schema takes precedence)."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_status_codes():
            error = self._get_response_for_code(ErrorSerializer, code, direction=direction)
            if code not in responses:
                responses[code] = {**error, "description": _ERRORS[code]}
            else:  # declared for another content type only (an HTML page's 404): add JSON
                content = responses[code].setdefault("content", {})
                for media_type, body in error.get("content", {}).items():
                    content.setdefault(media_type, body)
        return responses

    def _error_status_codes(self) -> list[str]:
        codes = ["429"]
        # A delete a service refuses (still needed) is answered 400 with the reason too.
        takes_input = self.method in ("POST", "PUT", "PATCH", "DELETE") or (
            self.method == "GET"
            and (
                self._get_filter_parameters()
                or self._is_list_view()
                or self.get_override_parameters()
            )
        )
        if takes_input:
            codes.append("400")
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            codes += ["401", "403"]
        if "{" in self.path or (self.method == "GET" and self._is_list_view()):
            codes.append("404")  # an unknown id, or a page past the end
        if self.method == "DELETE":
            codes.append("409")
        return sorted(codes)


class AnyOfSerializer(PolymorphicProxySerializer):
    """An answer with one of several shapes, chosen by who asks rather than by a field of the
    answer (a partner user's content item, a channel manager's): documented as `anyOf`, since
    one shape may be a subset of another, which `oneOf` (exactly one match) would refuse."""


class AnyOfSerializerExtension(PolymorphicProxySerializerExtension):
    target_class = AnyOfSerializer

    def map_serializer(self, auto_schema, direction):
        schema = super().map_serializer(auto_schema, direction)
        return {"anyOf": schema.pop("oneOf"), **schema}
