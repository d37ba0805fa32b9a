import pytest

from segments.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def form(**values):
    data = {
        "name": "EMEA",
        "slug": "emea",
        "objective": "Regional campaign",
        "description": "",
        "kind": "dynamic",
        "rule": '{"field": "region", "op": "eq", "value": "emea"}',
        "is_active": "on",
        "refresh_interval_minutes": "60",
        "owner": "",
    }
    data.update(values)
    return data


def test_admin_creates_a_segment_through_the_services(admin_client):
    response = admin_client.post("/admin/segments/segment/add/", form())
    assert response.status_code == 302, response.content[:2000]
    segment = Segment.objects.get(slug="emea")
    assert segment.rule == {"field": "region", "op": "eq", "value": "emea"}
    assert segment.next_evaluation_at is not None


def test_admin_changing_the_rule_bumps_the_version(admin_client):
    admin_client.post("/admin/segments/segment/add/", form())
    segment = Segment.objects.get(slug="emea")
    response = admin_client.post(
        f"/admin/segments/segment/{segment.pk}/change/",
        form(rule='{"field": "region", "op": "eq", "value": "na"}'),
    )
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.version == 2


def test_admin_pages_render(admin_client):
    assert admin_client.get("/admin/segments/segment/add/").status_code == 200
    assert admin_client.get("/admin/segments/evaluationrun/").status_code == 200
    assert admin_client.get("/admin/segments/membershipevent/").status_code == 200


def test_admin_shows_rule_errors_on_the_form(admin_client):
    response = admin_client.post(
        "/admin/segments/segment/add/",
        form(rule='{"field": "annual_revenue", "op": "gte", "value": "lots"}'),
    )
    assert response.status_code == 200
    assert "/value" in response.content.decode()
    assert not Segment.objects.exists()


def test_admin_refuses_a_cycle_on_the_form(admin_client):
    admin_client.post("/admin/segments/segment/add/", form())
    admin_client.post(
        "/admin/segments/segment/add/",
        form(slug="top", name="Top", rule='{"field": "segment", "op": "in", "value": "emea"}'),
    )
    base = Segment.objects.get(slug="emea")
    response = admin_client.post(
        f"/admin/segments/segment/{base.pk}/change/",
        form(rule='{"field": "segment", "op": "in", "value": "top"}'),
    )
    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    base.refresh_from_db()
    assert base.version == 1
