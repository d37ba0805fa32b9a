import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_reports_503_when_the_broker_is_unreachable(client, settings):
    # given: a broker URL nothing listens on
    from prm.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        # when
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    # then
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")
    assert response.json()["database"] == "ok"


def test_home_shows_the_program_overview_to_a_manager(client, manager):
    # given
    from tests.partners.factories import PartnerFactory, tier

    PartnerFactory(tier=tier("gold"))
    client.force_login(manager)
    # when
    response = client.get("/")
    # then
    assert response.status_code == 200
    assert b"Gold" in response.content
    assert response.context["summary"]["partners"] == 1


def test_home_invites_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["summary"] is None
