"""`/log` latency under load: Touchpoint served by gunicorn beside a bare Bolt floor, on one large SQLite store.

    .venv/bin/python bench/log_latency.py [--customers 100000] [--touchpoints 1000000] [--requests N] [--quick]

1. Builds the store once into bench/.data/store-<customers>-<touchpoints>.db (kept between runs): migrated,
   one workspace, customers with names, domains and aliases (folded exactly as storage.customers.add_names
   folds them), ~200 members, touchpoints over the past two years with their follow-ups and audit events.
2. Copies it to a scratch file per server, starts a SlackStandIn (Web API) in-process, starts
   `touchpoint serve` and measures start-to-healthy and the first /log after start.
3. Starts the floor (bench/floor_app.py: Bolt that only inserts one row and acks) under the same gunicorn
   settings on its own copy, and drives both with the same signed, form-encoded /log requests over
   keep-alive connections at 1 and 20 concurrent senders.
4. Prints a Markdown table and the goals: p99 < 150 ms, p50 within 3x the floor, first /log < 1 s.

Finding out why:  --probe     times every SQLite write transaction in both servers (lock wait and hold);
                  --profile wall|cpu   samples Touchpoint's workers with py-spy (.venv/bin/pip install py-spy);
                  --source DIR         serves bot/handlers/storage from DIR (a patched copy) against the same floor.

Exit status: 0 when every goal is met and no request failed, 1 otherwise. Loopback only. Every subprocess is
started in its own session and stopped (TERM, then KILL) on exit, Ctrl-C or error.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import itertools
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/log_latency.py` from anywhere
    sys.path.insert(0, str(ROOT))

from bot.capture.touchpoints import DEPARTMENTS  # noqa: E402
from bot.local.simulator import SlackSimulator  # noqa: E402
from bot.local.slack_standin import SlackStandIn  # noqa: E402
from bot.text import clean_domain, domain_keys, name_keys  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"
VENV_BIN = ROOT / ".venv" / "bin"
PROBE = Path(__file__).resolve().parent / "probe"
TEAM = "T0BENCH"
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench"
DEFAULT_TZ = "Europe/Berlin"
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

P99_GOAL_MS = 150.0
P50_RATIO_GOAL = 3.0
FIRST_LOG_GOAL_MS = 1000.0

MEMBERS = 200
NEW_USERS = 20  # in Slack but not yet in the store: their first /log asks users.info
REQUEST_TIMEOUT_S = 15.0
HEALTH_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 15.0
HEALTH_EVERY_S = 0.5
NOISY_SHARE = 0.10  # other processes' share of the machine above which a phase is flagged as noisy

# ---------------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


# fmt: off
ONSETS = words("b br c ch d dr f fl g gr h k kl kr l m n p pl pr r s sch st t tr v w z")
VOWELS = words("a e i o u a e i o ei au ä ö ü é y")
CODAS = ["", "", "", "n", "r", "x", "l", "s", "m", "nd", "rt", "ck", "ll", "tz", "nt"]
WORDS = words(
    "Alpine Nordic Blue Silver Golden Pacific Atlantic Summit Pioneer Vertex Harbor Cedar Falcon Orion Apex "
    "Granite Lakeside River Evergreen Polar Sonnen Berg Wald Stern Adler Löwen Eichen Rhein Donau Elbe Iron "
    "Crystal Meridian Northwind Southgate Westfield Eastwood Redwood Oak Maple Linden Birken Tannen Kristall "
    "Horizon Beacon Keystone Cornerstone Bright Clear Prime Nova Stella Terra Aqua Ventus Quantum Fusion "
    "Helix Vector Pixel Lumen Zenith Nimbus Aurora Boreal Fjord Glacier Canyon Prairie Delta Coastal Highland"
)
SURNAMES = words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Hoffmann Schäfer Koch Bauer Richter Klein Wolf "
    "Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Smith Johnson Brown Taylor Wilson "
    "Davies Evans Thomas Roberts Walker Wright Dubois Lefèvre Moreau Girard Fontaine García Martínez López "
    "Fernández Rossi Russo Bianchi Ferrari Nowak Kowalski Wiśniewski Jansen Bakker Visser Andersson Nilsson "
    "Nielsen Hansen Virtanen Korhonen O'Brien Murphy Kelly Novák Horváth Öztürk Yılmaz Søren Åberg Ødegaard"
)
SECTORS = words(
    "Logistics Maschinenbau Systems Technologies Foods Solutions Consulting Bau Elektrotechnik Medical Pharma "
    "Software Analytics Industries Manufacturing Trading Handel Automotive Energy Solar Robotics Packaging "
    "Textiles Chemicals Metallbau Kunststofftechnik Labs Partners Capital Retail Freight Marine Aerospace Optics "
    "Dental Brewing Brauerei Bäckerei Café Hotels Immobilien Versicherungen Werkzeuge Druck Media Design "
    "Security Networks Cloud Data Agrar Holzbau Präzisionstechnik Feinmechanik Lebensmittel Getränke Möbel"
)
LEGAL = [
    ("GmbH", 25), ("Inc", 10), ("Ltd", 10), ("LLC", 6), ("AG", 5), ("GmbH & Co. KG", 4), ("KG", 3),
    ("SARL", 3), ("SAS", 2), ("S.A.", 3), ("S.r.l.", 2), ("B.V.", 3), ("Oy", 1), ("AB", 2), ("A/S", 1),
    ("plc", 1), ("Pty Ltd", 1), ("Co.", 2), ("Corp", 3), ("", 10), ("Group", 2), ("Holding", 1),
]
TLDS = ["com", "com", "com", "de", "de", "co.uk", "fr", "io", "nl", "it", "es", "ch", "at", "se", "net"]
TIME_ZONES = [
    ("Europe/Berlin", 60), ("Europe/London", 10), ("America/New_York", 10), ("America/Los_Angeles", 5),
    ("Europe/Paris", 5), ("Asia/Tokyo", 3), ("Asia/Singapore", 3), ("Australia/Sydney", 2), ("America/Sao_Paulo", 2),
]
FIRST_NAMES = words(
    "Anna Ben Clara David Eva Felix Greta Hannah Ivan Julia Karl Lena Max Nina Oskar Paula Quentin Rosa Sven "
    "Tina Uwe Vera Wim Xenia Yusuf Zoe Dana Priya Chen Mateo Sofia Lars Ingrid Jörg Björn Zoë Amélie François"
)
TOPICS = [
    "pricing", "the renewal", "the Q3 order", "delivery delays", "the new catalogue", "spare parts", "onboarding",
    "contract terms", "a volume discount", "the pilot", "the ERP integration", "their RFQ", "payment terms",
    "the framework agreement", "samples", "the price increase", "lead times", "a second site", "training dates",
]
SUMMARIES = [
    "called {who} about {topic}", "quick call with {who} re {topic}", "phoned {who}, wants an offer for {topic}",
    "met {who} for lunch, talked about {topic}", "demo of the new line for {who}", "QBR with {who}, {topic} open",
    "emailed {who} the offer for {topic}", "sent proposal for {topic}", "visited the plant, {who} showed us around",
    "site visit: {topic} discussed with {who}", "complaint about {topic}, {who} is unhappy",
    "support case: machine down since Monday", "invoice 4711 overdue, reminded {who}", "paid the last invoice",
    "met {who} at the trade show booth", "whatsapp with {who} about {topic}", "{who} is leaving, new contact TBD",
    "coffee with {who} & team about {topic}", "webinar follow-up with {who}", "{who} asked for a call back",
]
TAGS = ["#pricing", "#renewal", "#q3", "#urgent", "#upsell", "#churn-risk", "#expansion", "#support"]
FOLLOW_UPS = [
    "follow up friday", "follow up tomorrow", "f/u in 2 weeks", "follow up next monday 10am", "remind me in 3 days",
    "follow up tomorrow 3pm", "f/u next week", "follow up end of month", "follow up in 10 days",
    "follow up on the 15th", "remind me next tuesday", "follow up 12 march",
]
KINDS = ["call", "meeting", "email", "visit", "ticket", "payment", "event", "chat", "note"]
# fmt: on


def weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def brand(rng: random.Random) -> str:
    syllables = [rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.choice((2, 2, 3)))]
    return ("".join(syllables) + rng.choice(CODAS)).capitalize()


def slug(text: str) -> str:
    return "-".join("".join(c for c in word if c.isalnum()) for word in fold_ascii(text).split()).strip("-")


def fold_ascii(text: str) -> str:
    from unidecode import unidecode

    return unidecode(text).lower()


@dataclass
class CustomerSpec:
    name: str
    domain: str | None
    aliases: list[str]


def company(rng: random.Random) -> tuple[str, str, str]:
    """A company-like name, its distinctive core and its sector (for aliases and domains)."""
    pattern = rng.random()
    legal = weighted(rng, LEGAL)
    if pattern < 0.35:
        core, sector = brand(rng), rng.choice(SECTORS)
    elif pattern < 0.55:
        core, sector = rng.choice(SURNAMES), rng.choice(SECTORS)
    elif pattern < 0.65:
        core, sector = f"{rng.choice(SURNAMES)} & {rng.choice(['Söhne', 'Partner', 'Co', rng.choice(SURNAMES)])}", ""
    elif pattern < 0.80:
        core, sector = rng.choice(WORDS) + brand(rng).lower(), rng.choice(["", "", rng.choice(SECTORS)])
    elif pattern < 0.92:
        core, sector = f"{rng.choice(WORDS)} {brand(rng)}", rng.choice(["", rng.choice(SECTORS)])
    else:
        core, sector = brand(rng), ""
    name = " ".join(part for part in (core, sector, legal) if part)
    return name, core, sector


def make_customers(count: int, seed: int = 7) -> list[CustomerSpec]:
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[CustomerSpec] = []
    while len(out) < count:
        name, core, sector = company(rng)
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        domain = None
        if rng.random() < 0.8:
            domain = f"{slug(core + (' ' + sector if sector and rng.random() < 0.4 else ''))}.{rng.choice(TLDS)}"
        aliases: list[str] = []
        initials = "".join(w[0] for w in f"{core} {sector}".split() if w[0].isalpha()).upper()
        options = [f"{core} {sector}".strip(), f"{brand(rng)} {rng.choice(['', 'Europe', 'Nord', 'Süd', 'US'])}"]
        if len(initials) >= 2:
            options.append(initials)
        if " " not in core and "&" not in core:
            options.append(core)
        for alias in rng.sample(options, k=min(len(options), rng.choice((1, 2, 2, 2, 3)))):
            alias = alias.strip()
            if alias and alias.lower() != name.lower() and alias not in aliases:
                aliases.append(alias)
        out.append(CustomerSpec(name, domain, aliases))
    return out


# ---------------------------------------------------------------------------------------------------------
# Building the store
# ---------------------------------------------------------------------------------------------------------


def sql_time(moment: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (naive UTC) value in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build_note(path: Path) -> str:
    try:
        facts = json.loads(path.with_suffix(".json").read_text())
        return f"built in {facts['seconds']:.0f}s on {facts['built_at']}"
    except (OSError, ValueError, KeyError):
        return "cached"


def migrate_cached(path: Path) -> None:
    """Bring a store cached under older migrations to head once, so no server migrates it at boot."""
    from storage.db import create_store_engine
    from storage.migrate import is_current, upgrade

    engine = create_store_engine(f"sqlite:///{path}")
    try:
        if is_current(engine):
            return
        started = time.perf_counter()
        upgrade(engine)
    finally:
        engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    for extra in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        extra.unlink(missing_ok=True)
    print(f"migrated the cached store to the current schema in {time.perf_counter() - started:.1f}s")


def store_path(customers: int, touchpoints: int) -> Path:
    return DATA / f"store-{customers}-{touchpoints}.db"


def build_store(path: Path, customers: int, touchpoints: int) -> float:
    """Build the cached store into a temporary file and move it in place; returns the seconds taken."""
    from sqlalchemy.orm import Session

    from storage.db import create_store_engine
    from storage.migrate import is_current, upgrade
    from storage.models import Customer, Touchpoint

    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
        leftover.unlink(missing_ok=True)

    def progress(message: str) -> None:
        print(f"  [{time.perf_counter() - started:6.1f}s] {message}", flush=True)

    print(f"building the store {path.name} ({customers:,} customers, {touchpoints:,} touchpoints)", flush=True)
    engine = create_store_engine(f"sqlite:///{tmp}")
    upgrade(engine)
    engine.dispose()
    progress("migrated")

    rng = random.Random(11)
    now = datetime.now(UTC).replace(microsecond=0)
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("PRAGMA temp_store=MEMORY")
    tables = ("customers", "customer_names", "members", "touchpoints", "follow_ups", "audit_events")
    marks = ",".join("?" * len(tables))
    indexes = db.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
        tables,
    ).fetchall()
    db.execute("BEGIN")
    for index_name, _ in indexes:  # bulk load first, index after: one sort instead of a million random inserts
        db.execute(f'DROP INDEX "{index_name}"')

    stamp = sql_time(now - timedelta(days=800))
    db.execute("INSERT INTO workspaces (id, team_id, name, created_at) VALUES (1, ?, 'Bench Corp', ?)", (TEAM, stamp))

    specs = make_customers(customers)
    progress(f"generated {len(specs):,} customer names")
    customer_rows = []
    name_rows = []
    for cid, spec in enumerate(specs, start=1):
        created = sql_time(now - timedelta(days=rng.uniform(30, 800)))
        domain = clean_domain(spec.domain) if spec.domain else None
        customer_rows.append(
            (
                cid,
                1,
                spec.name,
                domain,
                rng.choice([None, "lead", "customer", "customer", "churned"]),
                f"U0B{rng.randrange(1, MEMBERS + 1):05d}",
                None,
                created,
                created,
            )
        )
        # The same rows storage.customers.add_customer / add_names write: keys sorted, per kind.
        for kind, values in (("name", [spec.name]), ("domain", [domain] if domain else []), ("alias", spec.aliases)):
            for value in values:
                keys = domain_keys(value) if kind == "domain" else name_keys(value)
                for key in sorted(keys):
                    name_rows.append((1, cid, kind, value, key, 1))
    db.executemany(
        "INSERT INTO customers (id, workspace_id, name, domain, stage, owner_user_id, created_by, created_at,"
        " updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
        customer_rows,
    )
    db.executemany(
        "INSERT INTO customer_names (workspace_id, customer_id, kind, value, key, active) VALUES (?,?,?,?,?,?)",
        name_rows,
    )
    progress(f"inserted {len(customer_rows):,} customers and {len(name_rows):,} customer_names rows")

    member_rows = []
    departments = list(DEPARTMENTS)
    for n in range(1, MEMBERS + 1):
        first = rng.choice(FIRST_NAMES)
        department = rng.choice(departments) if rng.random() < 0.85 else None
        member_rows.append(
            (
                1,
                f"U0B{n:05d}",
                f"{first.lower()}{n}",
                f"{first} {rng.choice(SURNAMES)}",
                department,
                weighted(rng, TIME_ZONES),
                int(n <= 5),
                0,
                stamp,
                stamp,
            )
        )
    db.executemany(
        "INSERT INTO members (workspace_id, slack_user_id, name, real_name, department, tz, is_admin, deleted,"
        " refreshed_at, created_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
        member_rows,
    )

    span = 730 * 86400
    base = now.timestamp()
    offsets = sorted((rng.random() ** 1.3 * span for _ in range(touchpoints)), reverse=True)
    batch = 100_000
    follow_up_rows: list[tuple] = []
    tp_id = 0
    for start in range(0, touchpoints, batch):
        tp_rows, audit_rows = [], []
        for offset in offsets[start : start + batch]:
            tp_id += 1
            occurred = datetime.fromtimestamp(base - offset, UTC)
            at = occurred.strftime("%Y-%m-%d %H:%M:%S.%f")
            author = member_rows[int(MEMBERS * rng.random() ** 1.5)]
            cid = int(customers * rng.random() ** 2.5) + 1  # a few customers get most of the attention
            known = rng.random() > 0.02
            summary = rng.choice(SUMMARIES).format(who=rng.choice(FIRST_NAMES), topic=rng.choice(TOPICS))
            tags = rng.sample(TAGS, k=rng.choice((0, 0, 0, 1, 1, 2)))
            raw = f"{specs[cid - 1].name}: {summary} {' '.join(tags)}".strip()
            kind = rng.choice(KINDS)
            source = "command" if rng.random() < 0.8 else rng.choice(("modal", "shortcut", "import"))
            tp_rows.append(
                (
                    tp_id,
                    1,
                    cid if known else None,
                    None if known else specs[cid - 1].name,
                    author[1],
                    author[4],
                    kind,
                    summary,
                    raw if source == "command" else None,
                    json.dumps([t[1:] for t in tags]),
                    at,
                    source,
                    "C0GENERAL",
                    at,
                )
            )
            audit_rows.append((1, author[1], "logged", "touchpoint", tp_id, json.dumps({"text": raw}), at))
            if rng.random() < 0.08:
                due = occurred + timedelta(days=rng.randint(1, 21))
                status = "open" if due > now else rng.choice(("done", "done", "done", "cancelled"))
                follow_up_rows.append(
                    (
                        1,
                        tp_id,
                        cid if known else None,
                        author[1],
                        sql_time(due),
                        rng.choice(FOLLOW_UPS),
                        status,
                        at,
                        sql_time(due) if status == "done" else None,
                    )
                )
        db.executemany(
            "INSERT INTO touchpoints (id, workspace_id, customer_id, customer_text, author_user_id,"
            " author_department, kind, summary, raw_text, tags, occurred_at, source, channel_id, created_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            tp_rows,
        )
        db.executemany(
            "INSERT INTO audit_events (workspace_id, actor_user_id, action, entity_type, entity_id, details, at)"
            " VALUES (?,?,?,?,?,?,?)",
            audit_rows,
        )
        progress(f"inserted {tp_id:,} / {touchpoints:,} touchpoints (+ audit events)")
    db.executemany(
        "INSERT INTO follow_ups (workspace_id, touchpoint_id, customer_id, assignee_user_id, due_at, due_text,"
        " status, created_at, completed_at) VALUES (?,?,?,?,?,?,?,?,?)",
        follow_up_rows,
    )
    progress(f"inserted {len(follow_up_rows):,} follow-ups")
    for _, sql in indexes:
        db.execute(sql)
    db.execute("COMMIT")
    progress(f"re-created {len(indexes)} indexes")
    db.execute("PRAGMA journal_mode=WAL")  # what the app sets on every connection anyway
    db.close()

    # Sanity check through the real models: aware datetimes, JSON tags, schema at head.
    engine = create_store_engine(f"sqlite:///{tmp}")
    assert is_current(engine), "the built store is not at the head revision"
    with Session(engine) as session:
        tp = session.get(Touchpoint, touchpoints)
        assert tp is not None and tp.occurred_at.tzinfo is not None and isinstance(tp.tags, list)
        assert session.get(Customer, customers) is not None
    engine.dispose()
    db = sqlite3.connect(tmp, isolation_level=None)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    db.close()
    for extra in (Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        extra.unlink(missing_ok=True)
    tmp.replace(path)
    took = time.perf_counter() - started
    facts = {"seconds": round(took, 1), "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    path.with_suffix(".json").write_text(json.dumps({**facts, "customers": customers, "touchpoints": touchpoints}))
    progress(f"done: {path} ({path.stat().st_size / 1e6:,.0f} MB)")
    return took


# ---------------------------------------------------------------------------------------------------------
# The /log lines people type
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    name: str
    domain: str | None
    aliases: tuple[str, ...]


def load_known(path: Path, limit: int) -> list[Known]:
    """Customers with their aliases, read back from the store so lines name what is really there."""
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)  # leaves no -wal/-shm behind
    try:
        aliases: dict[int, list[str]] = defaultdict(list)
        rows = db.execute(
            "SELECT customer_id, value FROM customer_names WHERE kind = 'alias' AND customer_id <= ?"
            " GROUP BY customer_id, value",
            (limit,),
        )
        for cid, value in rows:
            aliases[cid].append(value)
        return [
            Known(name, domain, tuple(aliases[cid]))
            for cid, name, domain in db.execute("SELECT id, name, domain FROM customers WHERE id <= ?", (limit,))
        ]
    finally:
        db.close()


def slack_escape(text: str) -> str:
    """Slack sends &, < and > in command text as entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def typo(rng: random.Random, name: str) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 5:
        return name
    i = rng.choice(letters[1:-1])
    op = rng.randrange(4)
    if op == 0:
        return name[:i] + name[i + 1 :]
    if op == 1:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if op == 2:
        return name[:i] + rng.choice("aeiourstn") + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def strip_legal(name: str) -> str:
    for _, suffix in sorted(((len(s), s) for s, _ in LEGAL if s), reverse=True):
        if name.endswith(" " + suffix):
            return name[: -len(suffix) - 1]
    return name


LINE_FORMS = [
    ("exact", 35),
    ("exact-nosep", 14),
    ("alias", 8),
    ("casual", 8),
    ("typo", 10),
    ("typo-nosep", 5),
    ("unknown", 8),
    ("unknown-nosep", 4),
    ("domain", 4),
    ("casual-nosep", 4),
]


def make_line(rng: random.Random, known: Sequence[Known], users: Sequence[str]) -> tuple[str, str]:
    """One /log line as Slack delivers it, and the form it was made in (for the per-form breakdown)."""
    form = weighted(rng, LINE_FORMS)
    customer = known[int(len(known) * rng.random() ** 2)]
    summary = rng.choice(SUMMARIES).format(who=rng.choice(FIRST_NAMES), topic=rng.choice(TOPICS))
    if rng.random() < 0.1:
        summary += f", cc <@{rng.choice(users)}>"
    separator = rng.choice((": ", ": ", ": ", " - ", " — "))
    if form == "exact":
        head = customer.name
    elif form == "exact-nosep":
        head, separator = customer.name, " "
    elif form == "alias":
        head = rng.choice(customer.aliases) if customer.aliases else customer.name
    elif form == "casual":  # lower case, no legal form, no accents
        head = strip_legal(customer.name)
        head = rng.choice((head.lower(), fold_ascii(head), head))
    elif form == "typo":
        head = typo(rng, strip_legal(customer.name) if rng.random() < 0.5 else customer.name)
    elif form == "typo-nosep":
        head, separator = typo(rng, strip_legal(customer.name)), " "
    elif form in ("unknown", "unknown-nosep"):
        head = f"{brand(rng)} {rng.choice(SECTORS)} {weighted(rng, LEGAL)}".strip()
        if form == "unknown-nosep":
            separator = " "
    elif form == "domain":
        head = customer.domain or customer.name
    else:  # "nordwind logistics called about ...": lower case, no legal form, no separator
        head, separator = strip_legal(customer.name).lower(), " "
    text = slack_escape(head) + separator + summary.replace("&", "&amp;")
    if rng.random() < 0.3:
        text += " " + " ".join(rng.sample(TAGS, k=rng.choice((1, 1, 2))))
    if rng.random() < 0.3:
        follow_up = rng.choice(FOLLOW_UPS)
        if rng.random() < 0.15:
            follow_up = follow_up.replace("follow up", f"follow up <@{rng.choice(users)}>", 1)
        text += ", " + follow_up
    return text, form


@dataclass(frozen=True)
class Request:
    body: str
    form: str


def make_requests(rng: random.Random, count: int, known: Sequence[Known], users: Sequence[str]) -> list[Request]:
    sim = SlackSimulator(
        lambda body, headers: None,  # type: ignore[arg-type,return-value]  # only used to build the fields
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=lambda key: f"http://127.0.0.1:9/respond/{key}",
    )
    out = []
    for _ in range(count):
        text, form = make_line(rng, known, users)
        user = rng.choice(users)
        out.append(Request(urlencode(sim.command_fields(user, text, channel=rng.choice(CHANNELS))), form))
    return out


def first_request(known: Sequence[Known], members: Sequence[str]) -> str:
    """An ordinary line for the first /log after start: a known customer, a kind, a tag and a follow-up."""
    sim = SlackSimulator(
        lambda body, headers: None,  # type: ignore[arg-type,return-value]
        SIGNING_SECRET,
        team_id=TEAM,
        response_url=lambda key: f"http://127.0.0.1:9/respond/{key}",
    )
    text = f"{slack_escape(known[0].name)}: called Dana about the renewal #pricing, follow up friday 10am"
    return urlencode(sim.command_fields(members[0], text))


CHANNELS = ["C0GENERAL", "C0SALES", "C0SUPPORT", "C0ACCOUNTS", "D0DIRECT1"]


# ---------------------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------------------


class Signer:
    def __init__(self, secret: str) -> None:
        from slack_sdk.signature import SignatureVerifier

        self.verifier = SignatureVerifier(secret)

    def headers(self, body: str) -> dict[str, str]:
        stamp = str(int(time.time()))
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body),
        }


@dataclass
class Outcome:
    latencies_ms: list[float] = field(default_factory=list)
    forms: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    timed_out: bool = False
    window: tuple[float, float] = (0.0, 0.0)  # unix times, to pick the probe's lines of this phase
    health_ms: list[float] = field(default_factory=list)  # GET /healthz during the phase, as a balancer would
    health_failures: int = 0
    server_cpu_s: float = 0.0  # user + system time of the server's processes during the phase
    client_cpu_s: float = 0.0  # the same for this load generator, which shares the machine
    machine_busy_s: float = 0.0  # CPU time the whole machine spent busy, all processes (from /proc/stat)

    @property
    def count(self) -> int:
        return len(self.latencies_ms)


def check_reply(status: int, data: bytes) -> str | None:
    """None when the reply is what Slack should get for a logged line, else what is wrong with it."""
    if status != 200:
        return f"HTTP {status}: {data[:120]!r}"
    try:
        text = json.loads(data).get("text", "")
    except ValueError:
        return f"not JSON: {data[:120]!r}"
    if not text.startswith("Logged"):
        return f"not a Logged reply: {text[:120]!r}"
    return None


def post_once(port: int, body: str, signer: Signer) -> tuple[float, str | None]:
    """One request on a fresh connection; (latency ms, failure or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        headers = signer.headers(body)
        payload = body.encode()
        started = time.perf_counter()
        try:
            conn.request("POST", EVENTS_PATH, payload, headers)
            response = conn.getresponse()
            data = response.read()
        except OSError as error:
            return (time.perf_counter() - started) * 1000, f"{type(error).__name__}: {error}"
        return (time.perf_counter() - started) * 1000, check_reply(response.status, data)
    finally:
        conn.close()


def run_load(port: int, requests: Sequence[Request], concurrency: int, signer: Signer, max_seconds: float) -> Outcome:
    """Send every request (or until max_seconds) from `concurrency` threads, one keep-alive connection each."""
    outcome = Outcome()
    lock = threading.Lock()
    jobs = itertools.count()
    deadline = time.perf_counter() + max_seconds

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
        try:
            while True:
                i = next(jobs)
                if i >= len(requests):
                    return
                if time.perf_counter() > deadline:
                    outcome.timed_out = True
                    return
                request = requests[i]
                payload = request.body.encode()
                headers = signer.headers(request.body)
                started = time.perf_counter()
                try:
                    conn.request("POST", EVENTS_PATH, payload, headers)
                    response = conn.getresponse()
                    data = response.read()
                    failure = check_reply(response.status, data)
                    if response.will_close:
                        conn.close()
                except (OSError, http.client.HTTPException) as error:
                    failure = f"{type(error).__name__}: {error}"
                    conn.close()  # http.client reconnects on the next request
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    outcome.latencies_ms.append(elapsed)
                    outcome.forms.append(request.form)
                    if failure:
                        outcome.failures.append(failure)
        finally:
            conn.close()

    done = threading.Event()

    def health() -> None:
        while not done.wait(HEALTH_EVERY_S):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
            started = time.perf_counter()
            try:
                conn.request("GET", HEALTH_PATH)
                ok = conn.getresponse().status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                conn.close()
            outcome.health_ms.append((time.perf_counter() - started) * 1000)
            outcome.health_failures += not ok

    threads = [threading.Thread(target=sender, name=f"sender-{n}", daemon=True) for n in range(concurrency)]
    checker = threading.Thread(target=health, name="health", daemon=True)
    started, started_at = time.perf_counter(), time.time()
    for thread in threads:
        thread.start()
    checker.start()
    for thread in threads:
        thread.join(timeout=max_seconds + REQUEST_TIMEOUT_S + 5)
    outcome.wall_s = time.perf_counter() - started
    outcome.window = (started_at, time.time())
    done.set()
    checker.join(timeout=REQUEST_TIMEOUT_S + 1)
    return outcome


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))
    return ordered[min(rank, len(ordered)) - 1]


# ---------------------------------------------------------------------------------------------------------
# Servers
# ---------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    started: float

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class Servers:
    """Every subprocess this run starts, each in its own session so it can be stopped with its workers."""

    def __init__(self) -> None:
        self.running: list[Server] = []

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, log: Path, port: int) -> Server:
        handle = log.open("wb")
        started = time.perf_counter()
        process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        handle.close()
        server = Server(name, process, port, log, started)
        self.running.append(server)
        return server

    def stop(self, server: Server) -> None:
        process = server.process
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # the group is this server's own session
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # Workers left behind by a master that died first would still be in the group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if server in self.running:
            self.running.remove(server)

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)


def wait_healthy(server: Server) -> float:
    """Seconds from process start until /healthz answers 200."""
    deadline = time.perf_counter() + HEALTH_TIMEOUT_S
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.tail()}")
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            conn.request("GET", HEALTH_PATH)
            if conn.getresponse().status == 200:
                return time.perf_counter() - server.started
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.02)
    raise RuntimeError(f"{server.name} not healthy after {HEALTH_TIMEOUT_S:.0f}s:\n{server.tail()}")


def worker_pids(server: Server) -> list[int]:
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy() -> float:
    """Seconds of CPU time the machine has spent busy since boot, all cores and processes."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def foreign_share(outcome: Outcome) -> float:
    """The share of the machine's cores that processes other than the server and this client used."""
    if not outcome.wall_s:
        return 0.0
    foreign = outcome.machine_busy_s - outcome.server_cpu_s - outcome.client_cpu_s
    return max(0.0, foreign) / (outcome.wall_s * (os.cpu_count() or 1))


def server_cpu(server: Server) -> float:
    return sum(cpu_seconds(pid) for pid in [server.process.pid, *worker_pids(server)])


def wait_workers_idle(server: Server, workers: int, timeout: float = 120.0) -> float:
    """Seconds until every worker is up and has stopped burning CPU (i.e. finished warming up)."""
    started = time.perf_counter()
    last: dict[int, float] = {}
    quiet = 0
    while time.perf_counter() - started < timeout:
        pids = worker_pids(server)
        now = {pid: cpu_seconds(pid) for pid in pids}
        busy = len(pids) < workers or any(now[pid] - last.get(pid, -1.0) > 0.02 for pid in pids)
        quiet = 0 if busy else quiet + 1
        if quiet >= 3:
            return time.perf_counter() - server.started
        last = now
        time.sleep(0.25)
    return time.perf_counter() - server.started


def start_profiler(server: Server, output: Path, mode: str) -> subprocess.Popen[bytes]:
    """py-spy on the server and its workers. `wall` includes idle threads (waiting is time too); `cpu` does not."""
    spy = shutil.which("py-spy", path=str(VENV_BIN)) or shutil.which("py-spy")
    if spy is None:
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    argv = [spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--threads", "--function"]
    argv += ["--idle"] if mode == "wall" else []
    argv += ["--nonblocking", "--rate", "200", "--format", "raw", "--output", str(output)]
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True
    )
    time.sleep(1.0)  # let it attach to every worker before the load starts
    return process


def stop_profiler(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)  # py-spy writes its output on SIGINT
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


OWN_CODE = ("bot/", "handlers/", "storage/")
# Stages of a /log request, as frames that mark them (py-spy --function names them "function (file:line)").
STAGES = [
    ("gunicorn: read, parse and write HTTP", "gthread.py"),
    ("Bolt: dispatch (signature, parsing, middleware, listener)", "App.dispatch (slack_bolt/app/app.py"),
    ("Bolt: signature check", "SignatureVerifier.is_valid"),
    ("/log listener: log_command", "log_command (handlers/commands.py"),
    ("  who is acting (workspace, member)", "acting (handlers/common.py"),
    ("  index catch-up query", "CustomerIndexes.current"),
    ("  parse_log_line", "parse_log_line (bot/capture/parsing.py"),
    ("    NameIndex._candidates (trigram counting)", "NameIndex._candidates"),
    ("    rapidfuzz scoring", "rapidfuzz"),
    ("    follow-up phrase", "_split_follow_up (bot/capture/parsing.py"),
    ("  SQLAlchemy flush (inserts)", "Session.flush"),
    ("  commit", "commit"),
    ("  reply blocks", "logged_reply"),
]


def summarize_profile(path: Path, mode: str, top: int = 22) -> str:
    """Where requests spend their time, by stage and by function.

    wall: samples of threads inside handlers.commands.log_text (idle included: lock waits show as time).
    cpu: every running sample of the workers, so gunicorn's and Bolt's own work counts as well.
    `inclusive` counts samples with the function anywhere on the stack; `self` counts the innermost frame.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError as error:
        return f"(no profile: {error})"
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    stages: Counter[str] = Counter()
    request = total = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        count = int(count_text)
        total += count
        if mode == "wall" and not any(f.startswith("log_text (") for f in frames):
            continue
        if mode == "cpu" and not any(("gthread.py" in f or "slack_bolt" in f) for f in frames):
            continue  # the arbiter, idle housekeeping
        request += count
        for frame in set(frames):
            if mode == "cpu" or any(part in frame for part in OWN_CODE):
                inclusive[frame] += count
        for label, marker in STAGES:
            if any(marker in f for f in frames):
                stages[label] += count
        leaf[frames[-1]] += count
    if not request:
        return f"(no request samples among {total})"
    scope = "inside log_text, idle included" if mode == "wall" else "running in request threads"
    out = [f"{request} samples {scope} ({total} in all)", "", "| stage (inclusive) | share |", "|---|--:|"]
    out += [f"| {label} | {stages[label] / request:.0%} |" for label, _ in STAGES]
    out += ["", "| function (inclusive) | share |", "|---|--:|"]
    out += [f"| {frame} | {n / request:.0%} |" for frame, n in inclusive.most_common(top)]
    out += ["", "| innermost frame (self) | share |", "|---|--:|"]
    out += [f"| {frame} | {n / request:.0%} |" for frame, n in leaf.most_common(15)]
    return "\n".join(out)


def lock_table(rows: Sequence[Row], run_dir: Path) -> str:
    """Write-lock waits and holds per phase, and the throughput the lock alone allows (1 / mean hold)."""
    out = [
        "| run | write txns | wait p50 ms | wait p99 ms | hold p50 ms | hold p95 ms | hold p99 ms | busy"
        " | lock-bound req/s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        server = row.label.split()[0]
        start, end = row.outcome.window
        waits, holds, busy = [], [], 0
        for path in sorted((run_dir / f"probe-{server}").glob("locks-*.txt")):
            for line in path.read_text().splitlines():
                parts = line.split()
                if len(parts) != 4 or not start <= float(parts[0]) <= end + 0.05:
                    continue
                waits.append(float(parts[1]))
                if parts[3] == "busy":
                    busy += 1
                else:
                    holds.append(float(parts[2]))
        ceiling = 1000 / statistics.fmean(holds) if holds else float("nan")
        out.append(
            f"| {row.label} | {len(waits)} | {percentile(waits, 50):.1f} | {percentile(waits, 99):.1f}"
            f" | {percentile(holds, 50):.2f} | {percentile(holds, 95):.2f} | {percentile(holds, 99):.2f}"
            f" | {busy} | {ceiling:.0f} |"
        )
    return "\n".join(out)


def copy_store(source: Path, target: Path) -> None:
    for extra in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        extra.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    db = sqlite3.connect(target, isolation_level=None)
    try:  # every member's profile was fetched an hour ago, as in a workspace that is in daily use
        db.execute("UPDATE members SET refreshed_at = ?", (sql_time(datetime.now(UTC) - timedelta(hours=1)),))
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    outcome: Outcome

    def p(self, q: float) -> float:
        return percentile(self.outcome.latencies_ms, q)

    @property
    def throughput(self) -> float:
        return self.outcome.count / self.outcome.wall_s if self.outcome.wall_s else 0.0


def markdown_table(rows: Sequence[Row]) -> str:
    header = ["run", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "throughput req/s"]
    body = [
        [
            r.label,
            f"{r.outcome.count}",
            f"{len(r.outcome.failures)}",
            f"{r.p(50):.1f}",
            f"{r.p(95):.1f}",
            f"{r.p(99):.1f}",
            f"{r.throughput:.1f}",
        ]
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]

    def fmt(cells: list[str]) -> str:
        return (
            "| "
            + " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 1) + ":" if i else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), rule, *(fmt(line) for line in body)])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_failures(label: str, outcome: Outcome) -> None:
    if outcome.failures:
        print(f"  {label}: {len(outcome.failures)} failed requests, e.g.:")
        for failure, count in Counter(outcome.failures).most_common(5):
            print(f"    {count} x {failure}")
    if outcome.timed_out:
        print(f"  {label}: stopped at the phase time limit after {outcome.count} requests")


def by_form(outcome: Outcome) -> str:
    groups: dict[str, list[float]] = defaultdict(list)
    for form, ms in zip(outcome.forms, outcome.latencies_ms, strict=True):
        groups[form].append(ms)
    lines = ["| line form | n | p50 ms | p95 ms | max ms |", "|---|--:|--:|--:|--:|"]
    for form, values in sorted(groups.items(), key=lambda item: -statistics.median(item[1])):
        lines.append(
            f"| {form} | {len(values)} | {percentile(values, 50):.1f} | {percentile(values, 95):.1f} |"
            f" {max(values):.1f} |"
        )
    return "\n".join(lines)


def machine_facts(store: Path, workers: int, threads: int) -> list[str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return [
        f"cpus: {os.cpu_count()} ({model or platform.machine()}), "
        f"memory: {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        f"python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{platform.system()} {platform.release()}",
        f"store: {store.name}, {store.stat().st_size / 1e6:,.0f} MB",
        f"servers: gunicorn gthread, --workers {workers} --threads {threads}, 127.0.0.1 (both Touchpoint and floor)",
    ]


def code_under_test(env: dict[str, str]) -> str:
    """Which commit (and uncommitted files) or which --source directory the Touchpoint server runs."""
    probe = subprocess.run(
        [str(VENV_BIN / "python"), "-c", "import bot, os; print(os.path.dirname(os.path.dirname(bot.__file__)))"],
        env=env,
        cwd=DATA,  # as the servers run: outside the repository, so PYTHONPATH decides
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    served = probe.stdout.strip() or f"? ({probe.stderr.strip()[-200:]})"
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "bot", "handlers", "storage"], capture_output=True, text=True, check=False
    )
    changed = [line[3:] for line in dirty.stdout.splitlines()]
    where = f"{head.stdout.strip() or '?'}" + (f" + uncommitted {', '.join(changed)}" if changed else "")
    if Path(served) != ROOT:
        return f"Touchpoint code: served from {served} (repository at {where})"
    return f"Touchpoint code: {where}"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, help="requests per phase (default: 400 at c=1, 3000 at c=20)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 10,000 customers, 100,000 touchpoints")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time limit per load phase")
    parser.add_argument("--warmup", type=int, default=60, help="unrecorded requests per server before measuring")
    parser.add_argument("--keep", action="store_true", help="keep the scratch stores and server logs")
    parser.add_argument(
        "--source",
        type=Path,
        help="serve Touchpoint's packages (bot, handlers, storage) from this directory instead, e.g. a patched copy",
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="time every SQLite write transaction in both servers (bench/probe/sitecustomize.py)",
    )
    parser.add_argument(
        "--profile",
        choices=("wall", "cpu"),
        help="sample Touchpoint's workers with py-spy (pip install py-spy) during its phases and summarise",
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    if args.quick:
        args.customers, args.touchpoints = 10_000, 100_000
        args.requests = args.requests or 200
    return args


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so `finally` stops the servers on `kill` as on Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background, where SIGINT is ignored
    cached = store_path(args.customers, args.touchpoints)
    build_s = None
    if not cached.exists():
        build_s = build_store(cached, args.customers, args.touchpoints)
        print(f"store built in {build_s:.1f}s")
    else:
        print(f"using the cached store {cached} ({cached.stat().st_size / 1e6:,.0f} MB)")
        migrate_cached(cached)

    rng = random.Random(args.seed)
    known = load_known(cached, args.customers)
    members = [f"U0B{n:05d}" for n in range(1, MEMBERS + 1)]
    newcomers = [f"U0N{n:05d}" for n in range(1, NEW_USERS + 1)]
    users = members + newcomers
    n1 = args.requests or 400
    n20 = args.requests or 3000
    warm = make_requests(rng, args.warmup * 2 + 20, known, users)
    phase_c1 = make_requests(rng, n1, known, members + newcomers)
    phase_c20 = make_requests(rng, n20, known, members + newcomers)
    signer = Signer(SIGNING_SECRET)

    run_dir = DATA / f"run-{os.getpid()}"
    run_dir.mkdir(parents=True, exist_ok=True)
    servers = Servers()
    standin = SlackStandIn(team_id=TEAM)
    keep = args.keep  # scratch stores and logs stay for a look when requests failed or a server did not start
    try:
        standin.start()
        tz_rng = random.Random(3)
        for user in users:
            standin.add_user(user, tz=weighted(tz_rng, TIME_ZONES))
        copy_store(cached, run_dir / "touchpoint.db")
        copy_store(cached, run_dir / "floor.db")
        base_env = {
            **os.environ,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DEFAULT_TZ": DEFAULT_TZ,
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("SLACK_APP_TOKEN", "PORT", "WEB_CONCURRENCY"):
            base_env.pop(name, None)
        workers, threads = str(args.workers), str(args.threads)
        extra_env: dict[str, dict[str, str]] = {"touchpoint": {}, "floor": {}}
        for name, env in extra_env.items():
            paths = [str(PROBE)] if args.probe else []
            if name == "touchpoint" and args.source:
                paths.append(str(args.source.resolve()))
            if paths:
                env["PYTHONPATH"] = os.pathsep.join([*paths, *filter(None, [os.environ.get("PYTHONPATH")])])
            if args.probe:
                (run_dir / f"probe-{name}").mkdir(exist_ok=True)
                env["BENCH_PROBE_DIR"] = str(run_dir / f"probe-{name}")

        code = code_under_test({**base_env, **extra_env["touchpoint"]})
        print(code)

        # Touchpoint: start, first /log as soon as health is green.
        port = free_port()
        tp = servers.start(
            "touchpoint",
            [
                str(VENV_BIN / "touchpoint"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                workers,
                "--threads",
                threads,
            ],
            {**base_env, **extra_env["touchpoint"], "DATABASE_URL": f"sqlite:///{run_dir / 'touchpoint.db'}"},
            run_dir,  # no stray .env is read from the repository
            run_dir / "touchpoint.log",
            port,
        )
        healthy_s = wait_healthy(tp)
        first_ms, first_failure = post_once(port, first_request(known, members), signer)
        print(
            f"touchpoint: healthy {healthy_s:.2f}s after start; first /log {first_ms:.1f} ms"
            + (f" FAILED: {first_failure}" if first_failure else "")
        )
        settled_s = wait_workers_idle(tp, args.workers)
        early = [post_once(port, r.body, signer) for r in warm[1:11]]
        early_ms = [ms for ms, _ in early]
        early_failures = [f for _, f in early if f]
        print(
            f"touchpoint: all {args.workers} workers warm and idle {settled_s:.2f}s after start; "
            f"next 10 /log on fresh connections: max {max(early_ms):.1f} ms, "
            f"median {statistics.median(early_ms):.1f} ms"
        )

        # The floor on its own copy of the same store, same gunicorn settings.
        fport = free_port()
        floor = servers.start(
            "floor",
            [
                str(VENV_BIN / "gunicorn"),
                "bench.floor_app:application",
                "--pythonpath",
                str(ROOT),
                "--bind",
                f"127.0.0.1:{fport}",
                "--workers",
                workers,
                "--threads",
                threads,
                "--worker-class",
                "gthread",
                "--timeout",
                "30",
                "--access-logfile",
                "-",
            ],
            {
                **base_env,
                **extra_env["floor"],
                "DATABASE_URL": f"sqlite:///{run_dir / 'floor.db'}",
                "BENCH_TEAM_ID": TEAM,
            },
            run_dir,
            run_dir / "floor.log",
            fport,
        )
        floor_healthy_s = wait_healthy(floor)
        wait_workers_idle(floor, args.workers)
        print(f"floor: healthy {floor_healthy_s:.2f}s after start")

        warm_rest = warm[11:]
        for label, target in (("floor", fport), ("touchpoint", port)):
            outcome = run_load(target, warm_rest, 4, signer, args.max_seconds)
            report_failures(f"warm-up {label}", outcome)

        rows: list[Row] = []
        profiles: list[tuple[str, Path]] = []
        for concurrency, requests in ((1, phase_c1), (20, phase_c20)):
            for label, target in (("floor", fport), ("touchpoint", port)):
                print(f"measuring {label} c={concurrency}: {len(requests)} requests ...", flush=True)
                profiler = None
                if args.profile and label == "touchpoint":
                    profiler = start_profiler(tp, run_dir / f"pyspy-c{concurrency}.txt", args.profile)
                server = tp if label == "touchpoint" else floor
                cpu_before, client_before, busy_before = server_cpu(server), time.process_time(), machine_busy()
                try:
                    outcome = run_load(target, requests, concurrency, signer, args.max_seconds)
                    outcome.server_cpu_s = server_cpu(server) - cpu_before
                    outcome.client_cpu_s = time.process_time() - client_before
                    outcome.machine_busy_s = machine_busy() - busy_before
                finally:
                    if profiler is not None:
                        stop_profiler(profiler)
                if profiler is not None:
                    profiles.append((f"touchpoint c={concurrency}", run_dir / f"pyspy-c{concurrency}.txt"))
                rows.append(Row(f"{label} c={concurrency}", outcome))
                report_failures(f"{label} c={concurrency}", outcome)

        table = markdown_table(rows)
        by_label = {r.label: r for r in rows}
        lines = [
            "",
            "## /log latency",
            "",
            *[f"- {fact}" for fact in machine_facts(cached, args.workers, args.threads)],
            f"- {code}",
        ]
        lines.append(f"- store: {args.customers:,} customers, {args.touchpoints:,} touchpoints, {build_note(cached)}")
        lines += ["", table, ""]
        goals_ok = True
        for c in (1, 20):
            floor_p50 = by_label[f"floor c={c}"].p(50)
            tp_p50 = by_label[f"touchpoint c={c}"].p(50)
            ratio = tp_p50 / floor_p50 if floor_p50 else float("inf")
            goals_ok &= ratio <= P50_RATIO_GOAL
            lines.append(
                f"- p50 vs floor, c={c}: {tp_p50:.1f} / {floor_p50:.1f} ms = {ratio:.2f}x "
                f"(goal <= {P50_RATIO_GOAL:.0f}x): {verdict(ratio <= P50_RATIO_GOAL)}"
            )
        for c in (1, 20):
            p99 = by_label[f"touchpoint c={c}"].p(99)
            goals_ok &= p99 < P99_GOAL_MS
            lines.append(f"- p99, c={c}: {p99:.1f} ms (goal < {P99_GOAL_MS:.0f} ms): {verdict(p99 < P99_GOAL_MS)}")
        first_ok = first_ms < FIRST_LOG_GOAL_MS and first_failure is None
        goals_ok &= first_ok
        lines.append(
            f"- first /log after start: {first_ms:.1f} ms (goal < {FIRST_LOG_GOAL_MS:.0f} ms): {verdict(first_ok)}"
            f" (healthy {healthy_s:.1f}s after start; all workers warm after {settled_s:.1f}s;"
            f" next 10 on fresh connections max {max(early_ms):.1f} ms)"
        )
        lines.append(
            "- CPU per request (server processes / this load generator): "
            + "; ".join(
                f"{r.label} {1000 * r.outcome.server_cpu_s / max(1, r.outcome.count):.1f}"
                f" / {1000 * r.outcome.client_cpu_s / max(1, r.outcome.count):.1f} ms"
                for r in rows
            )
        )
        lines.append(
            "- other processes on this machine during each phase (share of all cores; noise if not ~0%): "
            + "; ".join(f"{r.label} {foreign_share(r.outcome):.0%}" for r in rows)
        )
        lines.append(
            "- GET /healthz every 0.5 s during each phase (max ms, not 200): "
            + "; ".join(
                f"{r.label} {max(r.outcome.health_ms, default=float('nan')):.0f} ms, {r.outcome.health_failures}"
                for r in rows
            )
        )
        lines += [
            f"- WARNING: other processes used {foreign_share(r.outcome):.0%} of the machine during {r.label}:"
            " its numbers are noisy, run again on a quiet machine"
            for r in rows
            if foreign_share(r.outcome) > NOISY_SHARE
        ]
        errors = sum(len(r.outcome.failures) for r in rows) + len(early_failures) + (first_failure is not None)
        lines.append(f"- failed requests: {errors}")
        print("\n".join(lines))
        print("\nTouchpoint c=1 by line form:\n")
        print(by_form(by_label["touchpoint c=1"].outcome))
        print("\nTouchpoint c=20 by line form:\n")
        print(by_form(by_label["touchpoint c=20"].outcome))
        for failure in early_failures:
            print(f"  early /log failed: {failure}")
        if args.probe:
            print("\nSQLite write lock per transaction (BEGIN IMMEDIATE .. COMMIT), from bench/probe:\n")
            print(lock_table(rows, run_dir))
        for label, path in profiles:
            print(f"\npy-spy, {label} ({path}):\n")
            print(summarize_profile(path, args.profile))
        keep = keep or errors > 0
        return 0 if errors == 0 and goals_ok else 1
    except KeyboardInterrupt:
        print("interrupted: stopping the servers", file=sys.stderr)
        return 130
    except Exception:
        keep = True
        raise
    finally:
        servers.stop_all()
        standin.stop()
        if keep:
            print(f"scratch stores and server logs kept in {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
