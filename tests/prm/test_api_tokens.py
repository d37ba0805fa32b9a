"""API tokens (prm/api/auth.py): stored hashed, expiring, listed without the secret, revocable
one by one or all at once."""

import hashlib
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.partners.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
TOKEN = reverse("api-token")
TOKENS = reverse("api-auth:token-list")
PARTNERS = "/api/partners/"


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ana(db):
    return UserFactory(username="ana", is_staff=True)


def obtain(username: str = "ana", password: str = PASSWORD) -> dict:
    response = APIClient().post(TOKEN, {"username": username, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def detail(token_key: str) -> str:
    return reverse("api-auth:token-detail", kwargs={"token_key": token_key})


# ---------------------------------------------------------------------------------------
# Obtaining a token
# ---------------------------------------------------------------------------------------


def test_the_token_endpoint_returns_a_token_once_with_its_expiry(ana):
    before = timezone.now()

    body = obtain()

    assert set(body) == {"token", "expiry"}
    ttl = timedelta(days=settings.PRM_API_TOKEN_TTL_DAYS)
    assert before + ttl <= parse_datetime(body["expiry"]) <= timezone.now() + ttl
    assert client_with(body["token"]).get(PARTNERS).status_code == 200


def test_the_database_never_holds_the_token(ana):
    token = obtain()["token"]

    stored = AuthToken.objects.get(user=ana)
    assert stored.digest == hashlib.sha512(token.encode()).hexdigest()
    assert stored.token_key == token[:15]  # the public handle, a quarter of the token
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AuthToken._meta.db_table}")
        (row,) = cursor.fetchall()
    assert not any(token in str(value) for value in row)


def test_a_wrong_password_gets_no_token(ana):
    response = APIClient().post(TOKEN, {"username": "ana", "password": "nope"})

    assert response.status_code == 400
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_each_sign_in_makes_a_new_token_and_the_old_ones_keep_working(ana):
    first, second = obtain()["token"], obtain()["token"]

    assert first != second
    assert client_with(first).get(PARTNERS).status_code == 200
    assert client_with(second).get(PARTNERS).status_code == 200


def test_the_number_of_live_tokens_per_user_is_bounded(ana, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    obtain(), obtain()

    response = APIClient().post(TOKEN, {"username": "ana", "password": PASSWORD})

    assert response.status_code == 403
    assert "revoke one first" in response.json()["detail"]
    assert AuthToken.objects.filter(user=ana).count() == 2


def test_a_partner_user_obtains_a_token_too():
    ContactFactory(user=UserFactory(username="pat"))

    assert obtain("pat")["token"]


def test_the_authtoken_app_of_drf_is_gone():
    # Its tokens were kept in plaintext: they no longer authenticate anyone.
    assert "rest_framework.authtoken" not in settings.INSTALLED_APPS


# ---------------------------------------------------------------------------------------
# Expired, revoked and malformed tokens
# ---------------------------------------------------------------------------------------


def test_an_expired_token_is_refused_with_401_and_deleted(ana):
    token = obtain()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))

    response = client_with(token).get(PARTNERS)

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert not AuthToken.objects.exists()


def test_a_revoked_token_is_refused_with_401_and_the_others_still_work(ana):
    kept, revoked = obtain()["token"], obtain()["token"]

    response = client_with(kept).delete(detail(revoked[:15]))

    assert response.status_code == 204
    assert client_with(revoked).get(PARTNERS).status_code == 401
    assert client_with(kept).get(PARTNERS).status_code == 200


def test_a_token_can_revoke_itself(ana):
    token = obtain()["token"]
    client = client_with(token)

    assert client.delete(detail(token[:15])).status_code == 204
    assert client.get(PARTNERS).status_code == 401


def test_revoke_all_refuses_every_token_of_the_user_only(ana):
    tokens = [obtain()["token"] for _ in range(3)]
    UserFactory(username="ben", is_staff=True)
    bens = obtain("ben")["token"]

    response = client_with(tokens[0]).delete(TOKENS)

    assert response.status_code == 204
    assert [client_with(t).get(PARTNERS).status_code for t in tokens] == [401, 401, 401]
    assert client_with(bens).get(PARTNERS).status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Token not-a-real-token", "Token ", "Token a b", "Token " + "é" * 64],
    ids=["unknown", "empty", "spaces", "not-utf8"],
)
def test_a_malformed_token_is_refused_with_401(header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    assert client.get(PARTNERS).status_code == 401


# ---------------------------------------------------------------------------------------
# Listing one's own tokens
# ---------------------------------------------------------------------------------------


def test_the_list_shows_metadata_and_never_the_secret(ana):
    first = obtain()
    second = obtain()

    response = client_with(second["token"]).get(TOKENS)

    assert response.status_code == 200
    rows = response.json()
    assert [row["token_key"] for row in rows] == [second["token"][:15], first["token"][:15]]
    assert set(rows[0]) == {"token_key", "created", "expiry", "is_current"}
    assert [row["is_current"] for row in rows] == [True, False]
    assert rows[0]["expiry"] == second["expiry"]
    content = response.content.decode()
    for secret in (first["token"], second["token"], *AuthToken.objects.values_list("digest")):
        assert str(secret).strip("(),'") not in content


def test_the_list_leaves_out_expired_tokens(ana):
    live = obtain()["token"]
    expired = obtain()["token"]
    AuthToken.objects.filter(token_key=expired[:15]).update(
        expiry=timezone.now() - timedelta(minutes=1)
    )
    # Read through the session, so that no token check deletes the expired one first.
    client = APIClient()
    client.force_login(ana)

    rows = client.get(TOKENS).json()

    assert [row["token_key"] for row in rows] == [live[:15]]


def test_a_user_never_sees_nor_revokes_another_users_token(ana):
    UserFactory(username="ben", is_staff=True)
    anas = obtain()["token"]
    bens = obtain("ben")["token"]
    ben = client_with(bens)

    assert [row["token_key"] for row in ben.get(TOKENS).json()] == [bens[:15]]
    assert ben.get(detail(anas[:15])).status_code == 404
    assert ben.delete(detail(anas[:15])).status_code == 404
    assert client_with(anas).get(PARTNERS).status_code == 200


def test_a_partner_user_manages_their_own_tokens():
    ContactFactory(user=UserFactory(username="pat"))
    token = obtain("pat")["token"]
    client = client_with(token)

    assert [row["token_key"] for row in client.get(TOKENS).json()] == [token[:15]]
    assert client.get(detail(token[:15])).json()["is_current"] is True
    assert client.delete(TOKENS).status_code == 204
    assert client.get(TOKENS).status_code == 401


def test_a_session_user_manages_their_tokens_too(client, ana):
    token = obtain()["token"]
    client.force_login(ana)

    response = client.get(TOKENS)

    assert response.status_code == 200
    assert response.json()[0]["is_current"] is False
    assert client.delete(detail(token[:15])).status_code == 204
    assert SESSION_KEY in client.session


@pytest.mark.parametrize("method", ["get", "delete"])
def test_anonymous_callers_cannot_list_or_revoke(method):
    assert getattr(APIClient(), method)(TOKENS).status_code == 401


# ---------------------------------------------------------------------------------------
# The admin
# ---------------------------------------------------------------------------------------


def test_the_admin_lists_tokens_by_handle_and_requires_an_expiry_to_add_one(client):
    admin_user = UserFactory(username="root", is_staff=True, is_superuser=True)
    _, token = AuthToken.objects.create(user=admin_user)
    client.force_login(admin_user)

    listing = client.get(reverse("admin:knox_authtoken_changelist"))
    add = client.post(reverse("admin:knox_authtoken_add"), {"user": admin_user.pk, "expiry": ""})

    assert listing.status_code == 200
    page = listing.content.decode()
    assert token[:15] in page and token not in page
    assert add.status_code == 200
    assert "This field is required" in add.content.decode()
    assert AuthToken.objects.count() == 1
