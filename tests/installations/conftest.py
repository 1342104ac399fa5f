"""The app installed through OAuth: the `runtime` every fixture of tests/conftest.py builds on has a client id
and secret and no bot token, so `served` and `slack` are the OAuth app; `browser` goes through the install pages
as a person would, and `install` installs a workspace or an org end to end."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from bot.local.installs_standin import Install
from bot.local.simulator import SlackSimulator, http_transport
from bot.runtime import Runtime
from tests.conftest import SIGNING_SECRET, make_settings

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret"


@pytest.fixture
def runtime(engine, standin, clock, database_url) -> Runtime:
    settings = replace(
        make_settings(database_url, standin.api_url, standin.hooks_url),
        slack_bot_token=None,
        slack_client_id=CLIENT_ID,
        slack_client_secret=CLIENT_SECRET,
    )
    standin.client_id, standin.client_secret, standin.app_scopes = CLIENT_ID, CLIENT_SECRET, settings.slack_scopes
    return Runtime(settings=settings, engine=engine, clock=clock)


def _lowered(headers) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@dataclass(frozen=True)
class Page:
    status: int
    headers: dict[str, str]  # names in lower case
    body: str


class Browser:
    """A browser on the install pages: keeps the state cookie the install page sets (it is Secure, which a
    cookie jar would not send over plain HTTP, so it is kept by hand)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookie: str | None = None

    def get(self, path: str, **query: str) -> Page:
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        request = urllib.request.Request(url, headers={"Cookie": self.cookie} if self.cookie else {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                page = Page(response.status, _lowered(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            page = Page(error.code, _lowered(error.headers), error.read().decode())
        set_cookie = page.headers.get("set-cookie")
        if set_cookie and "slack-app-oauth-state=" in set_cookie:
            value = set_cookie.split(";")[0]
            self.cookie = None if value.endswith("=deleted") else value
        return page

    def start_install(self) -> str:
        """Open the install page; the state its Add to Slack link carries."""
        page = self.get("/slack/install")
        assert page.status == 200 and "Add to Slack" in page.body, page
        link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.body)
        assert link is not None, page.body
        query = parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)
        return query["state"][0]

    def come_back(self, **query: str) -> Page:
        """Slack sends the browser back to the redirect URL with these query parameters."""
        return self.get("/slack/oauth_redirect", **query)


@pytest.fixture
def browser(served) -> Browser:
    return Browser(served)


Installer = Callable[..., Install]


@pytest.fixture
def install(browser, standin) -> Installer:
    """Install the app as a person would: the install page, Slack's approval, the redirect; the install made."""

    def installed(team_id: str | None = None, **how) -> Install:
        approved = standin.prepare_install(team_id, **how)
        state = browser.start_install()
        page = browser.come_back(code=approved.code, state=state)
        assert page.status == 200 and "Touchpoint is installed" in page.body, page.body
        return approved

    return installed


@pytest.fixture
def workspace_of(served, standin) -> Callable[..., SlackSimulator]:
    def simulator(team_id: str, enterprise_id: str | None = None, *, org_wide: bool = False) -> SlackSimulator:
        return SlackSimulator(
            http_transport(served + "/slack/events"),
            SIGNING_SECRET,
            team_id=team_id,
            response_url=standin.response_url,
            enterprise_id=enterprise_id,
            is_enterprise_install=org_wide,
        )

    return simulator
