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


def test_home_sends_a_manager_to_the_dashboard(client, manager):
    client.force_login(manager)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == "/dashboard/"


def test_home_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_login_page_renders_with_vendored_assets_only(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/bootstrap-5.3.9/css/bootstrap.min.css" in html
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in html
    assert "http://" not in html and "https://" not in html


def test_manager_signs_in_with_the_login_form_and_lands_on_the_dashboard(client, manager):
    manager.set_password("pw-for-login")
    manager.save()
    response = client.post(
        "/accounts/login/", {"username": "manager", "password": "pw-for-login"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert response.status_code == 200


def test_partner_user_cannot_open_the_dashboard(client, partner_user):
    client.force_login(partner_user)
    assert client.get("/dashboard/").status_code == 403


def test_anonymous_visitor_is_sent_to_login_from_the_dashboard(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/dashboard/"


def test_sign_out_is_a_post_and_returns_to_login(client, manager):
    client.force_login(manager)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert client.get("/dashboard/").status_code == 302
