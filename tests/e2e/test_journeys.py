"""Browser journeys through the live server: invitations, languages, sign-in rate limit.

Locators are by role and label on purpose: a journey that cannot find a control by its
accessible name is an accessibility bug as much as a test failure.
"""

from __future__ import annotations

import functools
import time
import uuid

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from exchange.demo import ACCOUNTS, DEMO_PASSWORD, demo_email
from exchange.i18n_catalogs import read_catalog
from tests.support import Mailbox, Received

COORDINATOR = "coordinator@kr-aisi.example"
LANGUAGE_MEMBER = "member@uk-aisi.example"  # journey 2 only: its language choice is changed
RATE_LIMITED = "reviewer@uk-aisi.example"  # journey 3 only: it ends up rate limited


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def wait_for_mail(mailbox: Mailbox, address: str, timeout: float = 10) -> Received:
    """Return the newest message to ``address``, polling until it arrives (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        with mailbox.lock:
            found = mailbox.to(address)
            seen = [m.recipients for m in mailbox.messages]
        if found:
            return found[-1]
        if time.monotonic() >= deadline:
            raise AssertionError(f"no e-mail to {address} within {timeout} s; got {seen}")
        time.sleep(0.05)


@functools.cache
def _korean_catalog():
    return read_catalog("ko")


def tr(msgid: str, lang: str = "en") -> str:
    """The interface text for ``msgid`` in ``lang``, read from the message catalog."""
    if lang == "en":
        return msgid
    assert lang == "ko", f"unexpected interface language {lang!r}"
    message = _korean_catalog().get(msgid)
    assert message is not None and message.string, f"no Korean translation for {msgid!r}"
    return message.string


def demo_name(email: str) -> str:
    for code, local, name, _roles, _locale in ACCOUNTS:
        if demo_email(code, local) == email:
            return name
    raise AssertionError(f"{email} is not a demo account")


def submit(page: Page, button: Locator) -> Response:
    """Click a submit button and wait for the page it leads to; return its response."""
    with page.expect_navigation() as navigation:
        button.click()
    response = navigation.value
    assert response is not None
    return response


def html_lang(page: Page) -> str:
    return page.locator("html").get_attribute("lang") or ""


def header(page: Page) -> Locator:
    return page.get_by_role("banner")


def account_menu(page: Page) -> Locator:
    """The summary of the account menu (a <details> in the header) showing the user's name."""
    return header(page).locator("details.menu > summary")


def sign_in(page: Page, email: str, password: str, lang: str = "en") -> Response:
    page.goto("/sign-in")
    page.get_by_label(tr("E-mail address", lang), exact=True).fill(email)
    page.get_by_label(tr("Password", lang), exact=True).fill(password)
    button = page.get_by_role("main").get_by_role("button", name=tr("Sign in", lang), exact=True)
    return submit(page, button)


def sign_out(page: Page, lang: str = "en") -> None:
    account_menu(page).click()
    submit(page, header(page).get_by_role("button", name=tr("Sign out", lang), exact=True))
    expect(account_menu(page)).to_have_count(0)
    expect(header(page).get_by_role("link", name=tr("Sign in", lang), exact=True)).to_be_visible()


def expect_signed_in(page: Page, base_url: str, name: str) -> None:
    expect(page).to_have_url(base_url + "/")
    expect(account_menu(page)).to_contain_text(name)


def expect_navigation_in(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    nav = page.get_by_role("navigation", name=tr("Main", lang), exact=True)
    for label in ("Wiki", "Evaluations", "Rotations"):
        expect(nav.get_by_role("link", name=tr(label, lang), exact=True)).to_be_visible()


# --------------------------------------------------------------------------------------------
# Journeys
# --------------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_invitation_email_to_signed_in_member(live_server, new_context):
    """A coordinator invites a colleague, who joins from the e-mail and signs in again later."""
    invitee = f"e2e-{uuid.uuid4().hex[:12]}@kr-aisi.example"
    name = f"Han Ji-woo {uuid.uuid4().hex[:6]}"
    password = f"river lantern {uuid.uuid4().hex[:8]} orchard"

    coordinator = new_context().new_page()
    sign_in(coordinator, COORDINATOR, DEMO_PASSWORD)
    expect_signed_in(coordinator, live_server.url, demo_name(COORDINATOR))
    lang = html_lang(coordinator)  # the coordinator's own language choice (Korean in the demo)

    coordinator.goto("/institute/invite")
    coordinator.get_by_label(tr("E-mail address", lang), exact=True).fill(invitee)
    response = submit(
        coordinator,
        coordinator.get_by_role("button", name=tr("Send the invitation", lang), exact=True),
    )
    assert response.ok, response.status
    expect(coordinator.get_by_role("status")).to_contain_text(invitee)

    message = wait_for_mail(live_server.mailbox, invitee)
    links = [link for link in message.links() if "/invitations/" in link]
    assert links, f"no invitation link in:\n{message.body}"
    accept_url = links[0]
    assert accept_url.startswith(live_server.url + "/"), accept_url

    page = new_context().new_page()
    page.goto(accept_url)
    expect(page.get_by_role("heading", name="Join Exchange")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(invitee)
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Repeat the password", exact=True).fill(password)
    submit(page, page.get_by_role("button", name="Join and sign in", exact=True))
    expect_signed_in(page, live_server.url, name)

    sign_out(page)
    response = sign_in(page, invitee, password)
    assert response.ok, response.status
    expect_signed_in(page, live_server.url, name)

    again = new_context().new_page()
    response = again.goto(accept_url)
    assert response is not None and response.status == 404
    expect(again.get_by_role("heading", name="This link is not valid")).to_be_visible()
    expect(again.get_by_label("New password")).to_have_count(0)


@pytest.mark.e2e
def test_switch_to_korean_navigation(live_server, new_context):
    """A visitor switches to Korean; a member's choice is remembered on the account."""
    korean = {label: tr(label, "ko") for label in ("Wiki", "Evaluations", "Rotations", "Sign in")}
    for label, text in korean.items():
        assert text.strip(), f"empty Korean translation for {label!r}"
        assert text != label, f"{label!r} is not translated to Korean"

    page = new_context(locale="en-GB").new_page()
    page.goto("/")
    expect_navigation_in(page, "en")
    submit(page, header(page).get_by_role("button", name="한국어", exact=True))
    expect_navigation_in(page, "ko")
    expect(header(page).get_by_role("link", name=korean["Sign in"], exact=True)).to_be_visible()
    expect(header(page).get_by_role("button", name="English", exact=True)).to_be_visible()

    member = new_context(locale="en-GB").new_page()
    sign_in(member, LANGUAGE_MEMBER, DEMO_PASSWORD)
    expect_signed_in(member, live_server.url, demo_name(LANGUAGE_MEMBER))
    expect_navigation_in(member, "en")
    submit(member, header(member).get_by_role("button", name="한국어", exact=True))
    expect_navigation_in(member, "ko")
    sign_out(member, "ko")

    later = new_context(locale="en-GB").new_page()
    sign_in(later, LANGUAGE_MEMBER, DEMO_PASSWORD)
    expect_signed_in(later, live_server.url, demo_name(LANGUAGE_MEMBER))
    expect_navigation_in(later, "ko")


@pytest.mark.e2e
def test_five_wrong_passwords_hit_the_limit(live_server, new_context):
    """Five wrong passwords for one account; the sixth attempt is refused even if right."""
    page = new_context().new_page()
    page.goto("/sign-in")
    email_field = page.get_by_label("E-mail address", exact=True)
    password_field = page.get_by_label("Password", exact=True)
    email_field.fill(RATE_LIMITED)
    for attempt in range(1, 6):
        expect(email_field).to_have_value(RATE_LIMITED)
        password_field.fill(f"not the password {attempt}")
        response = submit(
            page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
        )
        assert response.status == 200, (attempt, response.status)
        expect(page.get_by_role("main")).to_contain_text("Wrong e-mail address or password.")
        expect(password_field).to_have_accessible_description("Wrong e-mail address or password.")
        expect(email_field).to_have_value(RATE_LIMITED)
        expect(account_menu(page)).to_have_count(0)

    password_field.fill(DEMO_PASSWORD)
    response = submit(
        page, page.get_by_role("main").get_by_role("button", name="Sign in", exact=True)
    )
    assert response.status == 429, response.status
    expect(page.get_by_role("heading", name="Too many requests")).to_be_visible()
    expect(account_menu(page)).to_have_count(0)
