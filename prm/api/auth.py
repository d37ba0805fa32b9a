"""API tokens: obtain one with a username and password, list and revoke one's own.

Tokens are django-rest-knox's: the database keeps only a SHA-512 digest of each token and its
first characters (`token_key`, the public handle shown in lists and used to revoke it); the
token itself is shown once, in the answer that creates it. Every token expires
(PRM_API_TOKEN_TTL_DAYS) and an expired or revoked token is answered 401. Clients send it as
before: `Authorization: Token <token>`.
"""

from axes.helpers import get_lockout_message
from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox import views as knox_views
from knox.models import AuthToken
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from prm.api.throttling import TokenObtainRateThrottle
from prm.brute_force import retry_after_seconds


def active_tokens(user):
    """The user's tokens that have not expired (knox deletes expired ones lazily)."""
    return AuthToken.objects.filter(user=user).exclude(expiry__lt=timezone.now())


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of prm.api.authentication.TokenAuthentication (registered by
    being defined; drf-spectacular's knox extension matches knox's class only)."""

    target_class = "prm.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=self.target.authenticate_header(None)
        )


class LoginLockedOut(exceptions.APIException):
    """429 with Retry-After (DRF's handler sets it from `wait`)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, wait: int):
        self.wait = wait
        minutes = max(1, -(-wait // 60))
        super().__init__(f"{get_lockout_message()} Try again in {minutes} minute(s).")


class TokenObtainSerializer(serializers.Serializer):
    # Bounded: a longer username names no user (and would not fit the lockout records);
    # a password of megabytes would only cost hashing time.
    username = serializers.CharField(write_only=True, max_length=150)
    password = serializers.CharField(
        write_only=True, max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs):
        request = self.context["request"]
        # The request goes to authenticate() so that django-axes counts this attempt and
        # refuses a locked-out username and address.
        user = authenticate(request=request, username=attrs["username"], password=attrs["password"])
        if getattr(request, "axes_locked_out", False):
            raise LoginLockedOut(retry_after_seconds(request))
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with provided credentials.", code="authorization"
            )
        attrs["user"] = user
        return attrs


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token's metadata; never the token, which is not stored."""

    is_current = serializers.SerializerMethodField(
        help_text="True for the token this request was made with."
    )

    class Meta:
        model = AuthToken
        fields = ["token_key", "created", "expiry", "is_current"]
        read_only_fields = fields

    def get_is_current(self, token: AuthToken) -> bool:
        current = self.context["request"].auth
        return isinstance(current, AuthToken) and current.digest == token.digest


@extend_schema(
    tags=["auth"],
    request=TokenObtainSerializer,
    responses={
        200: inline_serializer(
            "TokenObtainResponse",
            {
                "token": serializers.CharField(help_text="Shown once; only its hash is kept."),
                "expiry": serializers.DateTimeField(),
            },
        ),
        400: OpenApiResponse(description="Wrong username or password."),
        429: OpenApiResponse(description="Too many failed attempts or requests; see Retry-After."),
    },
)
class TokenObtainView(knox_views.LoginView):
    """POST {username, password} -> {"token": "...", "expiry": "..."}: a new token for the
    user, valid for PRM_API_TOKEN_TTL_DAYS."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenObtainRateThrottle,)

    def post(self, request, format=None):
        serializer = TokenObtainSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        limit = self.get_token_limit_per_user()
        if limit is not None and active_tokens(user).count() >= limit:
            # knox would answer the same 403, in a shape of its own.
            raise exceptions.PermissionDenied(
                f"This user already has {limit} active API tokens: revoke one first "
                "(DELETE /api/auth/tokens/{token_key}/)."
            )
        request.user = user
        return super().post(request, format=format)


@extend_schema(tags=["auth"])
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own unexpired API tokens: list, show, revoke one (DELETE), revoke all
    (DELETE on the list). Any signed-in user, manager or partner user."""

    serializer_class = ApiTokenSerializer
    permission_classes = (IsAuthenticated,)
    lookup_field = "token_key"
    lookup_value_regex = "[0-9a-f]+"
    pagination_class = None
    filter_backends = ()

    def get_queryset(self):
        return active_tokens(self.request.user).order_by("-created")

    @extend_schema(operation_id="api_auth_tokens_destroy_all", responses={204: None})
    def destroy_all(self, request, *args, **kwargs):
        """Revoke every token of the caller, the one of this request too."""
        AuthToken.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
