"""Locust users of `manage.py bench_load` (which writes the JSON named by BENCH_LOAD_CONFIG:
the manager and partner-user logins, search terms and segment rules).

Each user signs in once, then repeats its tasks with a think time of 0.5-1.5 s:
- ChannelManager: the partner list (API and manager page, random pages), partner search
  (API and page, `?search=<name fragment>`), segment preview (POST /api/segments/preview/
  with a demo segment's rule).
- PartnerUser: the partner portal home page.
Requests are grouped by endpoint (`name=`); sign-in requests are named "login: …" and the
benchmark leaves them out of its endpoint figures.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

CONFIG = json.loads(Path(os.environ["BENCH_LOAD_CONFIG"]).read_text())
LIST_PAGES = 100  # pages of 50 partners: the first 5,000 by name
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_manager_logins = itertools.cycle(CONFIG["managers"])
_portal_logins = itertools.cycle(CONFIG["portal_users"])


def form_login(user: HttpUser, username: str, password: str, *, name: str) -> None:
    """Sign in through the login page (a session cookie); a failed sign-in stops the user."""
    page = user.client.get("/accounts/login/", name=f"{name} (form)")
    token = CSRF_FIELD.search(page.text)
    with user.client.post(
        "/accounts/login/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": token.group(1) if token else "",
        },
        headers={"Referer": f"{user.host}/accounts/login/"},
        allow_redirects=False,
        name=name,
        catch_response=True,
    ) as response:
        if response.status_code != 302:
            response.failure(f"sign-in of {username} answered {response.status_code}")
            user.stop()


class PageCheckMixin:
    def get_page(self, path: str, *, name: str) -> None:
        """GET an HTML page of a signed-in user; a redirect (to sign in) is a failure."""
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"{path} answered {response.status_code}")


class ChannelManager(PageCheckMixin, HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        username, password = next(_manager_logins)[:2]
        with self.client.post(
            "/api/auth/token/",
            json={"username": username, "password": password},
            name="login: API token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"token answered {response.status_code}")
                self.stop()
                return
            self.api_headers = {"Authorization": f"Token {response.json()['token']}"}
        form_login(self, username, password, name="login: manager session")

    def api_get(self, path: str, *, name: str) -> None:
        self.client.get(path, headers=self.api_headers, name=name)

    @task(3)
    def partner_list_api(self) -> None:
        self.api_get(
            f"/api/partners/?page={random.randint(1, LIST_PAGES)}", name="API partner list"
        )

    @task(2)
    def partner_list_page(self) -> None:
        self.get_page(f"/partners/?page={random.randint(1, LIST_PAGES)}", name="page partner list")

    @task(3)
    def partner_search_api(self) -> None:
        term = random.choice(CONFIG["search_terms"])
        self.api_get(f"/api/partners/?search={term}", name="API partner search")

    @task(1)
    def partner_search_page(self) -> None:
        term = random.choice(CONFIG["search_terms"])
        self.get_page(f"/partners/?search={term}", name="page partner search")

    @task(2)
    def segment_preview(self) -> None:
        self.client.post(
            "/api/segments/preview/",
            json={"rule": random.choice(CONFIG["preview_rules"])},
            headers=self.api_headers,
            name="API segment preview",
        )


class PartnerUser(PageCheckMixin, HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        username, password = next(_portal_logins)[:2]
        form_login(self, username, password, name="login: partner user")

    @task
    def portal_home(self) -> None:
        self.get_page("/portal/", name="portal home")
