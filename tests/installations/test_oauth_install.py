"""OAuth v2 end to end over real HTTP: the Add to Slack page, the redirect, and then every request of each
installation answered with that installation's own bot token, each seeing only its own data."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.config import DEFAULT_BOT_SCOPES
from storage.installations import SLACK_METADATA
from storage.models import Workspace
from tests.helpers import element, texts
from tests.installations.conftest import CLIENT_ID

ORG = "E0ORG"


def log_new_customer(slack, standin, user: str, line: str) -> None:
    block_id, create = element(slack.command(user, line).json(), "tp_create_customer")
    assert slack.click(user, create, block_id=block_id).status == 200
    standin.wait_for("response_url")


def card(slack, user: str, typed: str) -> str:
    reply = slack.command(user, typed, command="/customer")
    assert reply.status == 200
    return texts(reply.json())


def tokens_since(standin, start: int) -> set[str | None]:
    """The tokens every Web API call after the first `start` carried (response_url posts carry none)."""
    return {call.token for call in standin.calls[start:] if call.method != "response_url"}


def test_the_install_page_offers_add_to_slack_with_a_state_bound_to_this_browser(browser, runtime):
    page = browser.get("/slack/install")

    assert page.status == 200 and "Add to Slack" in page.body
    assert f"client_id={CLIENT_ID}" in page.body
    assert "scope=" + ",".join(DEFAULT_BOT_SCOPES) in page.body
    state = page.body.split("state=")[1].split('"')[0].split("&")[0]
    assert browser.cookie == f"slack-app-oauth-state={state}"


def test_two_workspaces_and_an_org_each_log_and_find_only_their_own_with_their_own_token(
    install, workspace_of, standin, runtime
):
    north = install("T0NORTH", team_name="North <Team>")
    south = install("T0SOUTH")
    org = install(enterprise_id=ORG, enterprise_name="Grid Org", is_enterprise_install=True)
    people = {
        "north": (workspace_of("T0NORTH"), north.bot_token, "Quokka Ltd"),
        "south": (workspace_of("T0SOUTH"), south.bot_token, "Pelican AG"),
        "org": (workspace_of("T0GRIDA", ORG, org_wide=True), org.bot_token, "Wombat Inc"),
    }

    for slack, token, customer in people.values():
        start = len(standin.calls)
        log_new_customer(slack, standin, "U0ALICE", f"{customer}: call about the renewal")
        assert tokens_since(standin, start) == {token}

    for name, (slack, token, customer) in people.items():
        start = len(standin.calls)
        for _, _, other in people.values():
            found = card(slack, "U0BOB", other.split()[0].lower())
            if other == customer:
                assert other in found and "call about the renewal" in found, name
            else:
                assert other not in found and "No customer matches" in found, name
        assert tokens_since(standin, start) <= {token}
    # A second workspace of the org shares its customers, with the org's token.
    start = len(standin.calls)
    assert "Wombat Inc" in card(workspace_of("T0GRIDB", ORG, org_wide=True), "U0CAROL", "wombat")
    assert tokens_since(standin, start) <= {org.bot_token}

    with runtime.sessions.begin() as session:
        tenants = {w.team_id: (w.name, w.is_enterprise_install) for w in session.scalars(select(Workspace))}
    assert tenants == {
        "T0NORTH": ("North <Team>", False),
        "T0SOUTH": ("Team T0SOUTH", False),
        ORG: ("Grid Org", True),
    }


def test_the_success_page_of_an_org_install_says_to_add_the_app_to_workspaces(browser, standin, runtime):
    approved = standin.prepare_install(enterprise_id=ORG, enterprise_name="<b>Grid</b>", is_enterprise_install=True)
    page = browser.come_back(code=approved.code, state=browser.start_install())

    assert page.status == 200
    assert "installed for the whole organisation <strong>&lt;b&gt;Grid&lt;/b&gt;</strong>" in page.body
    assert "Add to more workspaces" in page.body


def test_the_success_page_of_a_workspace_install_says_what_to_type(browser, standin, runtime):
    approved = standin.prepare_install("T0NORTH", team_name="North")
    page = browser.come_back(code=approved.code, state=browser.start_install())

    assert "Touchpoint is installed in <strong>North</strong>" in page.body and "/log help" in page.body
    assert "Add to more workspaces" not in page.body


def test_a_reinstall_updates_the_token_and_keeps_the_data(install, workspace_of, standin, runtime):
    first = install("T0NORTH")
    slack = workspace_of("T0NORTH")
    log_new_customer(slack, standin, "U0ALICE", "Quokka Ltd: call about the renewal")

    second = install("T0NORTH", team_name="North renamed")
    start = len(standin.calls)
    found = card(slack, "U0BOB", "quokka")

    assert second.bot_token != first.bot_token
    assert "Quokka Ltd" in found and "call about the renewal" in found
    assert tokens_since(standin, start) == {second.bot_token}
    with runtime.sessions.begin() as session:
        [tenant] = session.scalars(select(Workspace)).all()
    assert tenant.name == "North renamed"


def stored(runtime) -> dict[str, int]:
    """How many rows the install tables and the tenants hold."""
    tables = {table.name: table for table in SLACK_METADATA.sorted_tables}
    with runtime.engine.connect() as connection:
        counts = {
            name: connection.scalar(select(func.count()).select_from(tables[name]))
            for name in ("slack_installations", "slack_bots")
        }
        counts["workspaces"] = connection.scalar(select(func.count()).select_from(Workspace))
    return counts


NOTHING = {"slack_installations": 0, "slack_bots": 0, "workspaces": 0}


def test_a_forged_state_gets_a_clear_page_and_stores_nothing(browser, standin, runtime):
    approved = standin.prepare_install("T0NORTH")
    browser.start_install()

    page = browser.come_back(code=approved.code, state="a-state-nobody-issued")

    assert page.status == 400 and "This install link is not yours" in page.body
    assert "Traceback" not in page.body and 'href="/slack/install"' in page.body
    assert stored(runtime) == NOTHING
    assert standin.calls_to("oauth.v2.access") == []


def test_a_state_issued_to_another_browser_is_refused(browser, served, standin, runtime):
    from tests.installations.conftest import Browser

    state = Browser(served).start_install()  # someone else's install link
    browser.start_install()

    page = browser.come_back(code=standin.prepare_install("T0NORTH").code, state=state)

    assert page.status == 400 and "not yours" in page.body
    assert stored(runtime) == NOTHING


def test_a_replayed_state_gets_a_clear_page_and_changes_nothing(browser, standin, runtime):
    state = browser.start_install()
    cookie = browser.cookie
    assert browser.come_back(code=standin.prepare_install("T0NORTH").code, state=state).status == 200
    before = stored(runtime)

    browser.cookie = cookie  # the same browser, sending the same link again
    page = browser.come_back(code=standin.prepare_install("T0NORTH").code, state=state)

    assert page.status == 401 and "used already or is too old" in page.body
    assert stored(runtime) == before
    assert len(standin.calls_to("oauth.v2.access")) == 1


def test_a_redirect_without_a_code_gets_a_clear_page_and_stores_nothing(browser, runtime):
    page = browser.come_back(state=browser.start_install())

    assert page.status == 401 and "without an authorisation code" in page.body
    assert stored(runtime) == NOTHING


def test_a_cancelled_install_says_so(browser, runtime):
    page = browser.come_back(error="access_denied", state=browser.start_install())

    assert "Install cancelled" in page.body
    assert stored(runtime) == NOTHING


def test_an_oauth_error_gets_a_clear_page_and_stores_nothing(browser, standin, runtime):
    approved = standin.prepare_install("T0NORTH", error="invalid_code")

    page = browser.come_back(code=approved.code, state=browser.start_install())

    assert page.status == 401 and "Slack refused the install" in page.body
    assert [call.ok for call in standin.calls_to("oauth.v2.access")] == [False]
    assert stored(runtime) == NOTHING


def test_an_install_missing_a_required_scope_is_refused_and_stores_nothing(browser, standin, runtime):
    approved = standin.prepare_install("T0NORTH", scopes=("commands", "chat:write", "users:read"))

    page = browser.come_back(code=approved.code, state=browser.start_install())

    assert page.status == 400 and "Permissions missing" in page.body
    assert "<code>im:write</code>" in page.body and "<code>users:read.email</code>" in page.body
    assert "<code>commands</code>" not in page.body
    assert stored(runtime) == NOTHING


def test_a_workspace_that_never_installed_is_answered_with_nothing_of_anyone(install, workspace_of, standin, runtime):
    install("T0NORTH")
    log_new_customer(workspace_of("T0NORTH"), standin, "U0ALICE", "Quokka Ltd: call")

    reply = workspace_of("T0STRANGER").command("U0BOB", "quokka", command="/customer")

    assert "Quokka" not in reply.body
    with runtime.sessions.begin() as session:
        assert [w.team_id for w in session.scalars(select(Workspace))] == ["T0NORTH"]
