"""The favicon: a static icon linked from every base template, and /favicon.ico for pages
that name none."""

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse

pytestmark = pytest.mark.django_db

ICON_LINK = '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">'


def test_favicon_ico_leads_to_the_static_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    with open(finders.find("favicon.ico"), "rb") as file:
        assert file.read(4) == b"\x00\x00\x01\x00"  # an ICO header
    with open(finders.find("favicon.svg")) as file:
        assert file.read().startswith("<svg ")


def test_the_app_pages_link_the_icon(client):
    # the sign-in page, on base_app.html as every manager and portal page
    content = client.get(reverse("login")).content.decode()

    assert ICON_LINK in content


def test_the_public_pages_link_the_icon(client):
    # an unsubscribe link that does not verify, on communications/base_public.html
    response = client.get(reverse("communications:unsubscribe", args=["not-a-token"]))

    assert ICON_LINK in response.content.decode()


def test_the_plain_base_template_links_the_icon(rf):
    assert ICON_LINK in render_to_string("base.html", request=rf.get("/"))
