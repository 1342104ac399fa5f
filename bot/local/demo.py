"""A small, realistic sample for a new store: what `:demo` and `touchpoint shell --demo` put in it.

Customers with aliases, domains, contacts and accents (Müller GmbH, found as `mueller`; Acme Corp, found
as `acme.com`; Globex Corporation, found as `Globx`), touchpoints from sales, support and finance, and
follow-ups due soon, one already late, so the README's examples work on the first try and `:advance`
brings nudges and a digest. Every instant is relative to `now`, so the sample is always fresh.

A plain function of the session and `now`: it writes only what a person could have written with the bot,
and the shell asks twice before mixing it with a workspace's own data (`workspace_has_data`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from storage import touchpoints as touchpoint_store
from storage.customers import add_contact, add_customer
from storage.workspaces import member_row


@dataclass(frozen=True)
class DemoPerson:
    user_id: str
    name: str
    real_name: str
    tz: str
    department: str


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    domain: str
    aliases: tuple[str, ...]
    stage: str
    owner: str
    contacts: tuple[tuple[str, str, str], ...]  # (name, e-mail, role)


@dataclass(frozen=True)
class DemoTouchpoint:
    customer: str
    author: str
    kind: str
    line: str  # as it was typed after /log
    summary: str
    tags: tuple[str, ...]
    days_ago: float
    # The follow-up: days from now and the local hour it is due, or None.
    follow_up: tuple[int, int] | None = None


@dataclass(frozen=True)
class DemoReport:
    customers: int
    touchpoints: int
    follow_ups: int

    def summary(self) -> str:
        return (
            f"{self.customers} customers, {self.touchpoints} touchpoints from sales, support and finance, "
            f"{self.follow_ups} open follow-ups"
        )


PEOPLE = (
    DemoPerson("U0ALICE", "alice", "Alice Archer", "Europe/Berlin", "sales"),
    DemoPerson("U0BOB", "bob", "Bob Baker", "America/New_York", "support"),
    DemoPerson("U0CAROL", "carol", "Carol Chen", "Asia/Tokyo", "finance"),
)

CUSTOMERS = (
    DemoCustomer(
        "Acme Corp",
        "acme.com",
        ("Acme",),
        "active",
        "U0ALICE",
        (("Dana Scully", "dana@acme.com", "Head of Procurement"), ("Sam Rivera", "sam.rivera@acme.com", "IT lead")),
    ),
    DemoCustomer(
        "Globex Corporation",
        "globex.com",
        ("Globex",),
        "prospect",
        "U0ALICE",
        (("Hank Scorpio", "hank@globex.com", "CEO"),),
    ),
    DemoCustomer(
        "Müller GmbH",
        "mueller-gmbh.de",
        ("mueller", "Müller"),
        "onboarding",
        "U0CAROL",
        (("Jürgen Weiß", "j.weiss@mueller-gmbh.de", "Einkauf"),),
    ),
    DemoCustomer("Initech", "initech.com", (), "at-risk", "U0BOB", (("Bill Lumbergh", "bill@initech.com", "VP"),)),
    DemoCustomer("Umbrella Corporation", "umbrella.com", ("Umbrella",), "lead", "U0BOB", ()),
    DemoCustomer("Wayne Enterprises", "wayne-enterprises.com", (), "active", "U0ALICE", ()),
    DemoCustomer("Газпром", "gazprom.ru", (), "lead", "U0CAROL", ()),
)

TOUCHPOINTS = (
    DemoTouchpoint(
        "Acme Corp",
        "U0ALICE",
        "call",
        "Acme: call with Dana about the renewal #renewal, follow up tomorrow 10am",
        "call with Dana about the renewal",
        ("renewal",),
        2,
        (1, 10),
    ),
    DemoTouchpoint(
        "Acme Corp",
        "U0BOB",
        "ticket",
        "Acme: support case, CSV export fails for Sam's team #bug",
        "support case, CSV export fails for Sam's team",
        ("bug",),
        1,
    ),
    DemoTouchpoint(
        "Globex Corporation",
        "U0ALICE",
        "meeting",
        "Globex: demo went well, they want pricing for 40 seats, follow up in 2 days",
        "demo went well, they want pricing for 40 seats",
        (),
        5,
        (2, 9),
    ),
    DemoTouchpoint(
        "Müller GmbH",
        "U0CAROL",
        "payment",
        "Müller GmbH: invoice 2026-114 paid in full",
        "invoice 2026-114 paid in full",
        (),
        3,
    ),
    DemoTouchpoint(
        "Müller GmbH",
        "U0BOB",
        "delivery",
        "mueller - shipped the second batch of sensors",
        "shipped the second batch of sensors",
        (),
        4,
    ),
    DemoTouchpoint(
        "Initech",
        "U0CAROL",
        "payment",
        "Initech: invoice 2026-098 overdue, sent a reminder, follow up yesterday",
        "invoice 2026-098 overdue, sent a reminder",
        ("overdue",),
        9,
        (-1, 11),
    ),
    DemoTouchpoint(
        "Umbrella Corporation",
        "U0BOB",
        "email",
        "Umbrella: emailed the onboarding checklist",
        "emailed the onboarding checklist",
        (),
        6,
    ),
    DemoTouchpoint(
        "Wayne Enterprises",
        "U0ALICE",
        "event",
        "Wayne Enterprises: met their buyer at the trade show booth",
        "met their buyer at the trade show booth",
        (),
        41,
    ),
)


def fill_demo(session: Session, workspace_id: int, *, now: datetime) -> DemoReport:
    """Write the sample into the workspace, dated back from `now`; what it wrote, counted."""
    for person in PEOPLE:
        member = member_row(session, workspace_id, person.user_id)
        member.name, member.real_name, member.tz, member.department = (
            person.name,
            person.real_name,
            person.tz,
            person.department,
        )
    ids = {}
    for spec in CUSTOMERS:
        row = add_customer(
            session,
            workspace_id,
            spec.name,
            domain=spec.domain,
            aliases=spec.aliases,
            stage=spec.stage,
            owner_user_id=spec.owner,
            created_by=spec.owner,
            now=now - timedelta(days=60),
        )
        for name, email, role in spec.contacts:
            add_contact(session, row, name=name, email=email, role=role, now=now - timedelta(days=60))
        ids[spec.name] = row.id
    people = {person.user_id: person for person in PEOPLE}
    follow_ups = 0
    for spec in TOUCHPOINTS:
        author = people[spec.author]
        at = now - timedelta(days=spec.days_ago)
        touchpoint_id = touchpoint_store.insert_touchpoint(
            session,
            workspace_id=workspace_id,
            customer_id=ids[spec.customer],
            customer_text=spec.line.split(":")[0].split(" - ")[0].strip(),
            author_user_id=author.user_id,
            author_department=author.department,
            kind=spec.kind,
            summary=spec.summary,
            raw_text=spec.line,
            tags=list(spec.tags),
            occurred_at=at,
            source="command",
            channel_id=None,
            created_at=at,
        )
        touchpoint_store.insert_audit_event(
            session,
            workspace_id=workspace_id,
            actor_user_id=author.user_id,
            action="logged",
            entity_type="touchpoint",
            entity_id=touchpoint_id,
            details={"text": spec.line, "demo": True},
            at=at,
        )
        if spec.follow_up is not None:
            days, hour = spec.follow_up
            zone = ZoneInfo(author.tz)
            local_day = (now.astimezone(zone) + timedelta(days=days)).date()
            touchpoint_store.insert_follow_up(
                session,
                workspace_id=workspace_id,
                touchpoint_id=touchpoint_id,
                customer_id=ids[spec.customer],
                assignee_user_id=author.user_id,
                due_at=datetime.combine(local_day, time(hour), tzinfo=zone),
                due_text=spec.line.rpartition("follow up ")[2],
                created_at=at,
            )
            follow_ups += 1
    return DemoReport(customers=len(CUSTOMERS), touchpoints=len(TOUCHPOINTS), follow_ups=follow_ups)
