import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from partners.models import Tier
from tests.partners.factories import ContactFactory, UserFactory, ensure_default_tiers


@pytest.fixture(autouse=True)
def _default_tiers(request):
    """Every database test starts with the default tiers of the data migration: a
    transactional test's flush removes them from the (reused) test database."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db")  # transactional_db takes precedence when marked so
    if not Tier.objects.exists():
        ensure_default_tiers()


@pytest.fixture
def manager(db):
    """A channel manager (staff user)."""
    return UserFactory(username="manager", is_staff=True)


@pytest.fixture
def partner_user(db):
    """A partner user: a portal login attached to a contact of a partner."""
    user = UserFactory(username="partner-user")
    ContactFactory(user=user)
    return user


def _token_client(user) -> APIClient:
    client = APIClient()
    _, token = AuthToken.objects.create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@pytest.fixture
def api_client() -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def manager_client(manager) -> APIClient:
    return _token_client(manager)


@pytest.fixture
def partner_client(partner_user) -> APIClient:
    return _token_client(partner_user)


@pytest.fixture(autouse=True)
def _celery_join_flag_restored():
    """Celery's "would a join block?" flag is one process-wide global: an eager `.delay()`
    sets it for the task's run and puts back what it found. Two threads running eager tasks
    at once (the concurrency tests) can put back each other's True, after which every
    `.get()` in this worker process raises "Never call result.get() within a task!"."""
    from celery._state import _set_task_join_will_block, task_join_will_block

    before = task_join_will_block()
    yield
    _set_task_join_will_block(before)
