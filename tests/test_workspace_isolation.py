"""One workspace's data is never reachable from another: every action, view, typeahead, shortcut, command and
event of the app, sent from workspace T2 with workspace T1's ids, changes nothing of T1 and shows nothing of it.

The listeners are enumerated from the Bolt app as it is built, so a new listener without an attack here fails
`test_every_listener_of_the_app_is_attacked`.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import App
from sqlalchemy import select

from bot.app import build_app
from bot.blocks import followups as fu_blocks
from bot.capture.records import write_export
from bot.capture.steps import STEP_ID
from bot.conversations import capture, links
from bot.customers import curation
from bot.local.simulator import Reply, SlackSimulator, channel_message, http_transport
from bot.runtime import Runtime
from storage.customers import add_contact, add_customer
from storage.models import (
    Base,
    ChannelLink,
    Contact,
    Conversation,
    Customer,
    CustomerName,
    FollowUp,
    StageChange,
    Touchpoint,
    Workspace,
)
from storage.touchpoints import touchpoints_for_export
from storage.workspaces import workspace_for_team
from tests.conftest import SIGNING_SECRET, TEAM, _QuietHandler, _ThreadingWSGIServer
from tests.followups.test_dispatch import make_dispatcher

T2 = "T0RIVAL"
MALLORY = "U0MALLORY"  # an admin of T2, so that nothing is refused for want of rights
# What T1's data says and T2 never types: none of it may reach anything sent to T2.
SECRETS = ("Quokka", "pelican", "Zebedee", "Wombat")
# T1's channel linked to Quokka Holdings, and what Quokka's people said there.
QUOKKA_CHANNEL = "C0QUOKKA"
QUOKKA_SAID = capture.ChannelMessage(QUOKKA_CHANNEL, "1764063000.000100", None, "U0QUOKKA", "pelican order", True)
# Every way a Bolt app takes listeners: what is registered through any of them must be attacked below.
LISTENER_KINDS = tuple(
    name
    for name in dir(App)
    if not name.startswith("_")
    and name not in {"dispatch", "error", "middleware", "use", "start", "enable_token_revocation_listeners"}
    and not name.startswith("default_")
    and not isinstance(getattr(App, name), property)  # `client`, `logger`…: what the app has, not registrations
)


class TrackedExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, able to say when everything a request set off after its acknowledgement is done."""

    def __init__(self) -> None:
        super().__init__(max_workers=5)
        self._pending = 0
        self._changed = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._changed:
            self._pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 15.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self._pending == 0, timeout), "listeners still running"


@dataclass
class Served:
    t1: SlackSimulator
    t2: SlackSimulator
    executor: TrackedExecutor
    acks: list[Reply]
    standin: Any = None

    def send(self, request: Callable[[], Reply]) -> Reply:
        reply = request()
        self.acks.append(reply)
        self.executor.wait_idle()
        return reply

    def step_in_t2(self, inputs: dict[str, Any]) -> Reply:
        """A run of the Workflow Builder step in a workflow of T2's."""
        execution = self.standin.begin_function_execution(STEP_ID)
        return self.t2.function_executed(execution.id, execution.bot_access_token, STEP_ID, inputs)


@pytest.fixture
def served(runtime: Runtime, standin) -> Iterator[Served]:
    """The app behind real HTTP, as in conftest, with its listener pool tracked; a sender for each workspace."""
    executor = TrackedExecutor()
    app = build_app(runtime, listener_executor=executor)
    server = make_server("127.0.0.1", 0, app_wsgi(app, runtime), server_class=_ThreadingWSGIServer)
    server.RequestHandlerClass = _QuietHandler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    transport = http_transport(f"http://127.0.0.1:{server.server_port}/slack/events")
    senders = [
        SlackSimulator(transport, SIGNING_SECRET, team_id=t, response_url=standin.response_url) for t in (TEAM, T2)
    ]
    standin.add_user(MALLORY, name="mallory", team_id=T2, is_admin=True, tz="Europe/Berlin")
    yield Served(*senders, executor=executor, acks=[], standin=standin)
    server.shutdown()
    server.server_close()
    executor.shutdown()


def app_wsgi(app: App, runtime: Runtime) -> Any:
    from bot.server import wsgi_app

    return wsgi_app(app, runtime.engine, runtime.settings)


@dataclass(frozen=True)
class Ids:
    workspace: int
    customer: int
    merged_away: int  # merged into `customer`
    contact: int
    touchpoint: int
    unknown_touchpoint: int  # logged for a customer nobody created yet
    follow_up: int
    merge_event: int


def _latest(session, model, workspace_id: int) -> int:
    return session.scalar(select(model.id).where(model.workspace_id == workspace_id).order_by(model.id.desc()))


@pytest.fixture
def t1(served: Served, runtime: Runtime) -> Ids:
    now = runtime.now()
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        customer = add_customer(
            session, workspace_id, "Quokka Holdings", domain="quokka.com", owner_user_id="U0ALICE", now=now
        )
        partners = add_customer(session, workspace_id, "Quokka Partners", now=now)
        contact = add_contact(session, customer, name="Zebedee Pelican", email="zebedee@quokka.com", now=now)
        session.flush()
        merge = curation.merge_customers(session, workspace_id, "U0ALICE", customer.id, partners.id, now=now)
        ids = (customer.id, partners.id, contact.id, merge.event_id)
        # A linked channel with a conversation in it: T2's events and clicks must leave both alone.
        links.link_channel(session, workspace_id, customer.id, QUOKKA_CHANNEL, "quokka", "U0ALICE", now)
        capture.record_message(session, workspace_id, QUOKKA_SAID, now)
    served.send(lambda: served.t1.command("U0ALICE", "Quokka Holdings: pelican review, follow up tomorrow"))
    with runtime.sessions.begin() as session:
        touchpoint = _latest(session, Touchpoint, workspace_id)
        follow_up = _latest(session, FollowUp, workspace_id)
    served.send(lambda: served.t1.command("U0ALICE", "Wombat Pelican Farm: pelican chat"))
    with runtime.sessions.begin() as session:
        unknown = _latest(session, Touchpoint, workspace_id)
    customer_id, merged_away, contact_id, merge_event = ids
    return Ids(workspace_id, customer_id, merged_away, contact_id, touchpoint, unknown, follow_up, merge_event)


@pytest.fixture
def t2(served: Served, runtime: Runtime, t1: Ids) -> Ids:
    now = runtime.now()
    with runtime.sessions.begin() as session:
        workspace_id = workspace_for_team(session, T2).id
        customer = add_customer(session, workspace_id, "Rivalco", owner_user_id=MALLORY, now=now)
        contact = add_contact(session, customer, name="Rita Rival", now=now)
        session.flush()
        ids = (customer.id, contact.id)
    served.send(lambda: served.t2.command(MALLORY, "Rivalco: our own call, follow up tomorrow"))
    with runtime.sessions.begin() as session:
        touchpoint = _latest(session, Touchpoint, workspace_id)
        follow_up = _latest(session, FollowUp, workspace_id)
    return Ids(workspace_id, ids[0], 0, ids[1], touchpoint, 0, follow_up, 0)


# --- the attacks: what T2 sends, by listener ------------------------------------------------------------------------

Attack = Callable[[Served, Ids, Ids], Reply]


def click(action_id: str, value: str = "", *, block_id: str = "b", selected: str | None = None, **extra: Any) -> Attack:
    element = {"action_id": action_id, "value": value, "type": "static_select" if selected else "button"}
    chosen = {"value": selected} if selected is not None else None
    return lambda s, a, b: s.t2.click(MALLORY, element, block_id=block_id, selected=chosen, **extra)


def submit(callback_id: str, metadata: dict[str, Any], values: dict[str, Any]) -> Attack:
    view = {"type": "modal", "callback_id": callback_id, "private_metadata": json.dumps(metadata)}
    return lambda s, a, b: s.t2.submit(MALLORY, view, values)


def field(block_id: str, key: str, value: Any) -> dict[str, Any]:
    return {block_id: {"input": {key: value}}}


def option(value: str) -> dict[str, str]:
    return {"value": value}


def clicks(t1: Ids, t2: Ids) -> dict[str, list[Attack]]:
    tp, fu, customer = str(t1.touchpoint), str(t1.follow_up), str(t1.customer)
    on_cards = [str(t1.customer), str(t1.merged_away)]
    attacks: dict[str, list[Attack]] = {
        "tp_undo": [click("tp_undo", tp)],
        "tp_restore": [click("tp_restore", tp)],
        "tp_edit": [click("tp_edit", tp)],
        "tp_pick_customer": [
            click("tp_pick_customer", f"{tp}:{customer}"),
            click("tp_pick_customer", f"{t2.touchpoint}:{customer}"),  # T2's own line, T1's customer
        ],
        "tp_create_customer": [click("tp_create_customer", str(t1.unknown_touchpoint))],
        "tp_create_customer_anyway": [click("tp_create_customer_anyway", str(t1.unknown_touchpoint))],
        "tp_set_follow_up": [click("tp_set_follow_up", tp)],
        "member_department": [click("member_department", block_id=f"department:{tp}", selected="finance")],
        "open_log_modal": [click("open_log_modal", "home")],
        "log_what_happened": [click("log_what_happened", customer)],
        "retry_log": [click("retry_log", "quokka hold: a line of our own")],
        "tp_close_follow_up": [
            click("tp_close_follow_up", f"{tp}:{fu}"),
            click("tp_close_follow_up", f"{t2.touchpoint}:{fu}"),
        ],
        "tp_reopen_follow_up": [
            click("tp_reopen_follow_up", f"{tp}:{fu}"),
            click("tp_reopen_follow_up", f"{t2.touchpoint}:{fu}"),
        ],
        "fu_done": [click("fu_done", fu), click("fu_done", block_id=fu_blocks.block_id(t1.follow_up, "c", "mine"))],
        "fu_reopen": [click("fu_reopen", fu)],
        "fu_snooze": [click("fu_snooze", selected=f"{fu}:1h"), click("fu_snooze", selected=f"{fu}:pick")],
        "fu_reassign": [
            click("fu_reassign", block_id=fu_blocks.block_id(t1.follow_up, "c"), selected_user=MALLORY),
        ],
        "fu_log": [click("fu_log", fu)],
        "home_done": [click("home_done", fu)],
        "home_reopen": [click("home_reopen", fu)],
        "home_snooze": [
            click("home_snooze", block_id=f"home:fu:{fu}:c", selected=f"{fu}:tomorrow"),
            click("home_snooze", block_id=f"home:fu:{fu}:c", selected=f"{fu}:pick"),
        ],
        "card_create": [click("card_create", "quokka holdings")],
        "card_create_anyway": [click("card_create_anyway", "quokka partners")],
        "merge_undo": [click("merge_undo", str(t1.merge_event))],
        # A report's buttons carry only words and an instant: the figures are always the clicking workspace's.
        **{
            action_id: [
                click(action_id, json.dumps({"words": words, "at": "2026-11-25T09:30:00+00:00"}))
                for words in ("", "quokka", "<@U0ALICE>")
            ]
            for action_id in ("report_share", "report_share_confirmed", "report_csv")
        },
        "share_outside_cancel": [click("share_outside_cancel")],
        # A weekly report set up from T2 with T1's words: a subscription of T2's own, if any, never T1's figures.
        "weekly_share_confirmed": [click("weekly_share_confirmed", f"<#{QUOKKA_CHANNEL}> {w}") for w in ("", "quokka")],
        "card_history_page": [
            lambda s, a, b: s.t2.click_in_view(
                MALLORY, {"id": "V0HISTORY"}, {"action_id": "card_history_page", "value": f"{customer}:0"}
            )
        ],
    }
    attacks["card_unlink_channel"] = [click("card_unlink_channel", f"{value}:{QUOKKA_CHANNEL}") for value in on_cards]
    attacks["channel_link_again"] = [
        click("channel_link_again", f"{value}:{QUOKKA_CHANNEL}") for value in (*on_cards, str(t2.customer))
    ]
    for action_id in (
        "card_link_channel",
        "card_choose",
        "card_open",
        "card_log",
        "card_history",
        "card_share",
        "card_share_confirmed",
        "card_set_stage",
        "card_set_owner",
        "card_edit",
        "card_contacts",
        "card_merge",
    ):
        attacks[action_id] = [click(action_id, value) for value in on_cards]
    return attacks


def views(t1: Ids, t2: Ids) -> dict[str, list[Attack]]:
    soon = field("follow_up_text", "value", "in 3 days")
    t1_customer = field("customer", "selected_option", option(str(t1.customer)))
    contact = f"contact:{t1.contact}"
    contact_fields = {
        **field(f"{contact}:name", "value", "Mallory Was Here"),
        **field(f"{contact}:remove", "selected_options", [option("remove")]),
    }
    return {
        "log_modal": [
            # T2's own touchpoint edited to T1's customer: the finding that started this.
            submit("log_modal", {"tp": t2.touchpoint}, {**t1_customer, **soon}),
            submit("log_modal", {"channel": "C0RIVAL"}, {**t1_customer, **soon}),
            submit("log_modal", {"tp": t1.touchpoint}, field("customer", "selected_option", option(str(t2.customer)))),
            # A look-alike answer naming T1's customer instead of creating the typed one.
            submit(
                "log_modal",
                {"channel": "C0RIVAL"},
                {
                    **field("customer", "selected_option", option("new:quokka holdings gmbh")),
                    **field(
                        curation.look_alike_block("quokka holdings gmbh"), "selected_option", option(str(t1.customer))
                    ),
                    **soon,
                },
            ),
        ],
        "channel_link_modal": [
            submit(
                "channel_link_modal",
                {"customer": customer_id},
                {"channel": {"channel_pick": {"selected_conversation": QUOKKA_CHANNEL}}},
            )
            for customer_id in (t1.customer, t2.customer)
        ],
        "follow_up_modal": [submit("follow_up_modal", {"tp": t1.touchpoint}, soon)],
        "fu_snooze_modal": [submit("fu_snooze_modal", {"fu": t1.follow_up}, soon)],
        "home_snooze_modal": [submit("home_snooze_modal", {"fu": t1.follow_up}, soon)],
        "curation_stage": [
            submit(
                "curation_stage",
                {"customer": t1.customer},
                {**field("stage", "selected_option", option("churned")), **field("stages", "value", "lead, churned")},
            )
        ],
        "curation_owner": [
            submit("curation_owner", {"customer": t1.customer}, field("owner", "selected_user", MALLORY))
        ],
        "curation_names": [
            submit("curation_names", {"customer": t1.customer}, field("name", "value", "Mallory Was Here")),
        ],
        "curation_contacts": [
            submit("curation_contacts", {"customer": t1.customer, "shown": [t1.contact]}, contact_fields),
            submit("curation_contacts", {"customer": t2.customer, "shown": [t1.contact]}, contact_fields),
        ],
        "curation_merge": [
            submit(
                "curation_merge",
                {"customer": t2.customer},
                {
                    **field("other", "selected_option", option(str(t1.customer))),
                    **field("survivor", "selected_option", option(keep)),
                },
            )
            for keep in ("this", "other")
        ]
        + [
            submit(
                "curation_merge",
                {"customer": t1.customer},
                {
                    **field("other", "selected_option", option(str(t2.customer))),
                    **field("survivor", "selected_option", option("this")),
                },
            )
        ],
    }


def others(t1: Ids, t2: Ids) -> dict[tuple[str, str], list[Attack]]:
    home = {"type": "app_home_opened", "user": MALLORY, "channel": "D" + MALLORY, "tab": "home"}
    message = {"ts": "1700000000.000100", "text": "about the pelican", "user": "U0ALICE"}
    merge_view = {"id": "V0MERGE", "type": "modal", "private_metadata": json.dumps({"customer": t2.customer})}
    return {
        ("options", "customer_select"): [lambda s, a, b: s.t2.options(MALLORY, "customer_select", "quokka")],
        ("options", "merge_customer_select"): [
            lambda s, a, b: s.t2.interaction(
                {
                    **s.t2._base("block_suggestion", MALLORY),
                    "action_id": "merge_customer_select",
                    "block_id": "other",
                    "value": "quokka",
                    "view": merge_view,
                }
            )
        ],
        ("shortcut", "log_message"): [
            lambda s, a, b: s.t2.shortcut(MALLORY, {**message, "text": "a message of ours"}, callback_id="log_message")
        ],
        ("command", "/log"): [
            lambda s, a, b: s.t2.command(MALLORY, "quokka hold: a line of our own"),
            lambda s, a, b: s.t2.command(MALLORY, "quokka.com - a line of our own"),
        ],
        ("command", "/customer"): [
            lambda s, a, b, text=text: s.t2.command(MALLORY, text, command="/customer")
            for text in (
                "quokka",
                "quokka.com",
                "zebedee@quokka.com",
                "quokka partners",
                "",
                f"quokka unlink <#{QUOKKA_CHANNEL}|quokka>",
                f"rivalco link <#{QUOKKA_CHANNEL}|quokka>",
            )
        ],
        ("command", "/followups"): [
            lambda s, a, b, text=text: s.t2.command(MALLORY, text, command="/followups")
            for text in ("", "quokka", "<@U0ALICE>")
        ],
        ("command", "/report"): [
            lambda s, a, b, text=text: s.t2.command(MALLORY, text, command="/report")
            for text in ("", "quokka", "quokka holdings", "<@U0ALICE>", "#expo", "last 7 days")
        ],
        ("event", "app_home_opened"): [lambda s, a, b: s.t2.event(home)],
        # T2's events naming T1's linked channel and its recorded message: T2 has no such link, nothing changes.
        ("event", "message"): [
            lambda s, a, b: s.t2.event(
                channel_message("U0RIVAL", "a line of ours", channel=QUOKKA_CHANNEL, ts=QUOKKA_SAID.ts, team="T0OUT")
            ),
            lambda s, a, b: s.t2.event(
                {
                    "type": "message",
                    "subtype": "message_deleted",
                    "channel": QUOKKA_CHANNEL,
                    "deleted_ts": QUOKKA_SAID.ts,
                }
            ),
            lambda s, a, b: s.t2.event(
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "channel": QUOKKA_CHANNEL,
                    "message": {"ts": QUOKKA_SAID.ts, "user": "U0RIVAL", "text": "Mallory was here"},
                }
            ),
        ],
        # T2 uninstalling (or its tokens revoked) ends T2's installation, never T1's: checked below.
        ("event", "app_uninstalled"): [lambda s, a, b: s.t2.event({"type": "app_uninstalled"})],
        ("event", "tokens_revoked"): [
            lambda s, a, b: s.t2.event({"type": "tokens_revoked", "tokens": {"bot": ["UBOT"], "oauth": ["U0ALICE"]}})
        ],
        # A T2 workflow naming T1's customer by name, domain and contact: T2's own unknown name, never T1's.
        ("function", STEP_ID): [
            lambda s, a, b, customer=customer: s.step_in_t2(
                {"customer": customer, "summary": "a line of our own", "follow_up": "friday", "logged_by": MALLORY}
            )
            for customer in ("quokka holdings", "quokka.com", "zebedee@quokka.com", "quokka partners")
        ],
    }


def all_attacks(t1: Ids, t2: Ids) -> dict[tuple[str, str], list[Attack]]:
    attacks = {("action", k): v for k, v in clicks(t1, t2).items()}
    attacks.update({("view", k): v for k, v in views(t1, t2).items()})
    attacks.update(others(t1, t2))
    return attacks


# --- what is checked ------------------------------------------------------------------------------------------------


def registered_listeners(runtime: Runtime, standin) -> set[tuple[str, str]]:
    """(kind, constraint) of every listener `build_app` registers, by whichever App method it used."""
    seen: set[tuple[str, str]] = set()
    originals = {kind: getattr(App, kind) for kind in LISTENER_KINDS}

    def recording(kind: str) -> Callable[..., Any]:
        def register(self: App, *args: Any, **kwargs: Any) -> Any:
            constraint = args[0] if args else kwargs.get("constraints", kwargs.get("callback_id"))
            seen.add((kind, constraint if isinstance(constraint, str) else repr(constraint)))
            return originals[kind](self, *args, **kwargs)

        return register

    with pytest.MonkeyPatch.context() as patch:
        for kind in LISTENER_KINDS:
            patch.setattr(App, kind, recording(kind))
        build_app(runtime)
    return seen


def rows_of(session, workspace_id: int) -> dict[str, list[tuple]]:
    """Every row of a workspace, table by table, as plain tuples."""
    found = {}
    for table in Base.metadata.sorted_tables:
        if "workspace_id" not in table.c:
            continue
        in_order = table.primary_key.columns  # an id, or the day counts' (workspace, day, department, …)
        rows = session.execute(select(table).where(table.c.workspace_id == workspace_id).order_by(*in_order))
        found[table.name] = [tuple(row) for row in rows]
    return found


def pointing_into(session, workspace_id: int, other: dict[str, set[int]]) -> list[str]:
    """Rows of one workspace that name a customer or touchpoint of the other."""
    links = [
        (Touchpoint, Touchpoint.customer_id, "customers"),
        (FollowUp, FollowUp.customer_id, "customers"),
        (FollowUp, FollowUp.touchpoint_id, "touchpoints"),
        (Contact, Contact.customer_id, "customers"),
        (CustomerName, CustomerName.customer_id, "customers"),
        (StageChange, StageChange.customer_id, "customers"),
        (Customer, Customer.merged_into_id, "customers"),
        (ChannelLink, ChannelLink.customer_id, "customers"),
        (Conversation, Conversation.touchpoint_id, "touchpoints"),
    ]
    problems = []
    for model, column, target in links:
        query = select(model.id, column).where(model.workspace_id == workspace_id, column.in_(other[target]))
        problems += [
            f"{model.__tablename__} {row_id} -> {target} {target_id}" for row_id, target_id in session.execute(query)
        ]
    return problems


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_every_listener_of_the_app_is_attacked(runtime, standin):
    covered = set(all_attacks(Ids(*[1] * 8), Ids(*[2] * 8)))

    assert registered_listeners(runtime, standin) == covered


def test_nothing_sent_from_another_workspace_with_this_ones_ids_changes_or_shows_anything_of_it(
    served, runtime, standin, clock, t1, t2
):
    with runtime.sessions.begin() as session:
        before = rows_of(session, t1.workspace)
    standin.clear()
    served.acks.clear()

    for attacks in all_attacks(t1, t2).values():
        for attack in attacks:
            served.send(lambda attack=attack: attack(served, t1, t2))

    # What T2 sees of its own afterwards: its follow-ups, its Home, its export and its nudges.
    served.send(lambda: served.t2.command(MALLORY, "", command="/followups"))
    served.send(lambda: served.t2.event({"type": "app_home_opened", "user": MALLORY, "channel": "DM", "tab": "home"}))
    export = io.StringIO()
    with runtime.readers.begin() as session:
        after = rows_of(session, t1.workspace)
        t1_ids = {"customers": {r[0] for r in after["customers"]}, "touchpoints": {r[0] for r in after["touchpoints"]}}
        t2_pointing_into_t1 = pointing_into(session, t2.workspace, t1_ids)
        write_export(export, "jsonl", touchpoints_for_export(session, t2.workspace))
    clock.advance(days=5)
    make_dispatcher(runtime, standin).run_pass(clock())  # T1's own nudges go to Alice, and are left out below

    assert after == before
    assert t2_pointing_into_t1 == []
    with runtime.readers.begin() as session:
        assert session.get(Workspace, t1.workspace).uninstalled_at is None
    to_t2 = [
        call
        for call in standin.calls
        if call.params.get("channel") != "U0ALICE" and call.params.get("user_id") != "U0ALICE"
    ]
    shown = [(call.method, leaks(json.dumps(call.params))) for call in to_t2]
    assert [(method, found) for method, found in shown if found] == []
    # Files (a report's chart and CSV) are bytes, not call parameters: read them too.
    files = [
        (f.name, leaks(f.title + (f.initial_comment or "") + f.content.decode("utf-8", "replace")))
        for f in standin.files
    ]
    assert [(name, found) for name, found in files if found] == []
    assert [leaks(ack.body) for ack in served.acks if leaks(ack.body)] == []
    assert leaks(export.getvalue()) == []


def test_a_row_left_pointing_at_another_workspaces_customer_shows_nothing_of_it(
    served, runtime, standin, clock, t1, t2
):
    """What the old edit bug left behind: T2's touchpoint and follow-up naming T1's customer. Every join carries
    the workspace, so T2's follow-ups, Home, nudges and export show the line as typed, never T1's name."""
    with runtime.sessions.begin() as session:
        session.get(Touchpoint, t2.touchpoint).customer_id = t1.customer
        session.get(FollowUp, t2.follow_up).customer_id = t1.customer
    standin.clear()
    served.acks.clear()

    listing = served.send(lambda: served.t2.command(MALLORY, "", command="/followups"))
    served.send(lambda: served.t2.event({"type": "app_home_opened", "user": MALLORY, "channel": "DM", "tab": "home"}))
    export = io.StringIO()
    with runtime.readers.begin() as session:
        write_export(export, "jsonl", touchpoints_for_export(session, t2.workspace))
    clock.advance(days=2)
    make_dispatcher(runtime, standin).run_pass(clock())

    assert "our own call" in listing.body  # the follow-up is listed, under the name typed in its line
    [home] = standin.calls_to("views.publish")
    nudges = [call for call in standin.calls_to("chat.postMessage") if call.params["channel"] == MALLORY]
    assert len(nudges) == 1 and "our own call" in json.dumps(nudges[0].params)
    assert [json.loads(line)["customer"] for line in export.getvalue().splitlines()] == [None]
    assert leaks(listing.body) == leaks(json.dumps(home.params)) == leaks(json.dumps(nudges[0].params)) == []
    assert leaks(export.getvalue()) == []
