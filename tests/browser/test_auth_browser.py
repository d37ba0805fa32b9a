"""Signing in and out of the manager portal in a real browser."""

from playwright.sync_api import expect


def test_manager_signs_in_sees_dashboard_and_signs_out(manager_page, screenshot):
    # given a manager signed in through the login form (fixture)
    page = manager_page
    # then the dashboard and the navigation are there
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    for part in ("Partners", "Segments", "Campaigns", "Ecosystem map"):
        expect(nav.get_by_role("link", name=part)).to_be_visible()
    screenshot("dashboard")
    # when they sign out, they are back on the login page
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def test_wrong_password_shows_an_error(page, live_server, browser_manager):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(browser_manager.username)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")
