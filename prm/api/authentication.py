"""The API's token authentication (first in DEFAULT_AUTHENTICATION_CLASSES). A module of its own
that imports no views: DRF imports it while rest_framework.views itself is being imported."""

from knox import auth as knox_auth
from rest_framework import exceptions


class TokenAuthentication(knox_auth.TokenAuthentication):
    """knox's check of `Authorization: Token <token>` against the stored digests (an expired
    token is deleted and refused), with a header that is not UTF-8 answered 401 instead of
    failing: it cannot be one of our tokens."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as error:
            raise exceptions.AuthenticationFailed("Invalid token.") from error
        return super().authenticate_credentials(token)
