"""The content security policy in Chromium: a violation is caught by the console check every
browser test runs under; what the policy touches (confirmations, message frames, the API docs)
still works."""

from playwright.sync_api import expect

from communications.models import Channel
from tests.browser.conftest import watch_console
from tests.communications.factories import MessageFactory
from tests.partners.factories import ContactFactory, UserFactory

PARTNER_PASSWORD = "partner-security-pw"


def test_an_inline_script_is_blocked_and_fails_the_console_check(context, live_server):
    # given a page of the app, watched as every browser test's page is
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{live_server.url}/accounts/login/")
    # when something puts an inline script and an inline handler into it
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineScriptRan = true";
            document.body.appendChild(script);
            const button = document.createElement("button");
            button.setAttribute("onclick", "window.inlineHandlerRan = true");
            document.body.appendChild(button);
            button.click();
        }"""
    )
    # then neither runs, and the console check has the violations to fail the test with
    assert page.evaluate("() => [window.inlineScriptRan, window.inlineHandlerRan]") == [None, None]
    page.wait_for_timeout(200)  # console messages arrive asynchronously
    violations = [text for text in problems if "Content Security Policy" in text]
    assert len(violations) == 2, problems
    page.close()


def test_a_confirmation_declared_in_markup_guards_the_form(manager_page):
    # given the tiers page, whose "Evaluate now" asks first
    page = manager_page
    page.goto(f"{page.live_server_url}/partners/tiers/")
    button = page.get_by_role("button", name="Evaluate now")
    questions = []

    # when the manager says no
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    button.click()
    page.wait_for_timeout(300)
    # then nothing was sent
    assert questions == ["Evaluate every partner's tier now?"]
    expect(page.get_by_text("Evaluated")).to_have_count(0)

    # when they say yes, it is
    page.once("dialog", lambda dialog: dialog.accept())
    button.click()
    expect(page.get_by_text("Evaluated 0 partners.")).to_be_visible()


def test_a_message_renders_with_its_own_styles_in_the_sandboxed_frame(page, live_server):
    # given a partner user with an HTML message that brings its own <style> and style attributes
    user = UserFactory(username="sandbox-reader")
    user.set_password(PARTNER_PASSWORD)
    user.save(update_fields=["password"])
    contact = ContactFactory(user=user, first_name="Ines")
    message = MessageFactory(
        contact=contact,
        channel=Channel.PORTAL,
        subject="Styled news",
        body=(
            "<html><head><style>.lead { color: rgb(10, 120, 30); }</style></head><body>"
            '<p class="lead">Hello Ines,</p>'
            '<p style="font-weight: 700">Bold news inside.</p></body></html>'
        ),
    )
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PARTNER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/portal/")

    # when they open it
    page.goto(f"{live_server.url}/portal/inbox/{message.pk}/")

    # then the frame shows the body styled by the page's frame styles and the body's own
    frame = page.frame_locator("iframe.message-frame")
    lead = frame.get_by_text("Hello Ines,")
    expect(lead).to_be_visible()
    expect(lead).to_have_css("color", "rgb(10, 120, 30)")
    expect(lead).to_have_css("font-size", "15px")
    expect(frame.get_by_text("Bold news inside.")).to_have_css("font-weight", "700")


def test_the_api_docs_run_swagger_ui_from_this_server(manager_page):
    page = manager_page
    page.goto(f"{page.live_server_url}/api/docs/")
    # (the schema is generated on the first request: give it time)
    expect(page.get_by_role("heading", name="PRM API")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("/api/partners/").first).to_be_visible()


def test_the_admin_runs_under_the_policy(page, live_server):
    # given a superuser signed in to the admin
    admin = UserFactory(username="security-admin", is_staff=True, is_superuser=True)
    admin.set_password(PARTNER_PASSWORD)
    admin.save(update_fields=["password"])
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("Username").fill(admin.username)
    page.get_by_label("Password").fill(PARTNER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # when they open a list and an add form (the page fixture fails on any violation)
    page.goto(f"{live_server.url}/admin/partners/partner/")
    expect(page.get_by_role("heading", name="Select partner to change")).to_be_visible()
    page.goto(f"{live_server.url}/admin/partners/partner/add/")
    # then the admin's own scripts ran: the date fields have their shortcuts
    expect(page.get_by_role("link", name="Today").first).to_be_visible()


def test_htmx_wires_swapped_content_at_once_on_every_kind_of_page(manager_page):
    # htmx reads the first htmx-config meta: base_app.html's, or a page's own first
    # (enablement/_htmx_config.html); both must turn the settle delay off, or a fragment's
    # own controls ignore input for 20 ms after each swap.
    page = manager_page
    for path in ("/partners/", "/partners/tiers/what-if/"):
        page.goto(f"{page.live_server_url}{path}")
        config = page.evaluate(
            "() => [htmx.config.defaultSettleDelay, htmx.config.allowEval,"
            " htmx.config.includeIndicatorStyles]"
        )
        assert config == [0, False, False], path
