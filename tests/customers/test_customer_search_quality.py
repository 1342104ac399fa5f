"""Search quality: what people really type after `/customer`, and the customer that must come first.

One realistic workspace is seeded once for the module; each row of the table is searched as the listener
searches (index, then the store confirms) and the first result must be the expected customer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.customers.search import search_customers
from bot.runtime import Runtime
from storage.customers import add_contact, add_customer
from storage.db import create_store_engine
from storage.workspaces import workspace_for_team
from tests.conftest import START, TEAM, Clock, lasting_store, make_settings

# name, domain, aliases, contacts (name, e-mail)
CUSTOMERS: list[tuple[str, str | None, list[str], list[tuple[str, str | None]]]] = [
    ("Acme Corp", "acme.com", [], [("Dana Scully", "dana@acme.com")]),
    ("Acme Logistics GmbH", "acme-logistics.de", [], []),
    ("Globex Corporation", "globex.com", ["Globex"], []),
    ("Initech Systems LLC", "initech.io", [], [("Peter Gibbons", "peter.gibbons@initech.io")]),
    ("Umbrella Corporation", None, ["Umbrella"], []),
    ("Umbrella Health Ltd", "umbrellahealth.co.uk", [], []),
    ("Wayne Enterprises", "wayne.com", ["Wayne Ent"], [("Lucius Fox", "lucius@wayne.com")]),
    ("Stark Industries", "starkindustries.com", ["Stark"], []),
    ("Müller Maschinenbau GmbH", "mueller-maschinenbau.de", [], [("Jörg Müller", "joerg.mueller@mueller-mb.de")]),
    ("Schröder & Söhne KG", None, [], []),
    ("Bäckerei Weißgerber", "baeckerei-weissgerber.de", [], []),
    ("Société Générale Services SAS", "sg-services.fr", [], []),
    ("Café Olé SARL", None, [], []),
    ("Nestlé Deutschland AG", "nestle.de", [], []),
    ("Björn Åberg AB", "aberg.se", [], []),
    ("Zürich Versicherung AG", None, [], []),
    ("Łódź Tools", "lodz-tools.pl", [], []),
    ("Dubois Frères SA", None, [], []),
    ("Hooli Inc", "hooli.xyz", [], [("Gavin Belson", "gavin@hooli.xyz")]),
    ("Pied Piper", None, ["PiperNet"], []),
    ("Cyberdyne Systems Corp", None, [], []),
    ("Soylent Foods", None, [], []),
    ("Tyrell Corporation", None, [], []),
    ("Oscorp Industries", None, [], []),
    ("Wonka Industries", None, [], [("Charlie Bucket", None)]),
    ("Vandelay Industries", None, ["Vandelay Import Export"], []),
    (
        "Dunder Mifflin Paper Company",
        "dundermifflin.com",
        [],
        [("Michael Scott", "michael.scott@dundermifflin.com")],
    ),
    ("Sterling Cooper Draper Pryce", None, ["SCDP"], []),
    ("Prestige Worldwide", None, [], []),
    ("Gringotts Bank", None, [], []),
    ("Los Pollos Hermanos", "lospolloshermanos.com", [], []),
    ("Nakatomi Trading", "nakatomi.co.jp", [], []),
    ("Weyland-Yutani Corp", None, [], []),
    ("Massive Dynamic", None, [], []),
    ("Northwind Traders", "northwindtraders.com", [], [("Nancy Davolio", "nancy.davolio@northwindtraders.com")]),
    ("Contoso Ltd", "contoso.com", [], []),
    ("Fabrikam Inc", "fabrikam.com", [], []),
    ("Tailspin Toys", None, [], []),
    ("Adventure Works Cycles", None, [], []),
    ("Alpine Ski House", None, [], []),
    ("Газпром нефть", None, [], []),
    ("東京物産", None, ["Tokyo Bussan"], []),
]

# (what is typed, the customer that must come first)
QUERIES = [
    # typos
    ("umbrela", "Umbrella Corporation"),
    ("globx", "Globex Corporation"),
    ("initek", "Initech Systems LLC"),
    ("wayn enterprises", "Wayne Enterprises"),
    ("stark industires", "Stark Industries"),
    ("dunder miflin", "Dunder Mifflin Paper Company"),
    ("vandeley industries", "Vandelay Industries"),
    ("cyberdine", "Cyberdyne Systems Corp"),
    ("nakatomi tradng", "Nakatomi Trading"),
    ("nortwind traders", "Northwind Traders"),
    ("contosso", "Contoso Ltd"),
    ("gringots", "Gringotts Bank"),
    ("prestige worldwid", "Prestige Worldwide"),
    # accents and other scripts
    ("societe generale", "Société Générale Services SAS"),
    ("cafe ole", "Café Olé SARL"),
    ("nestle", "Nestlé Deutschland AG"),
    ("bjorn aberg", "Björn Åberg AB"),
    ("lodz tools", "Łódź Tools"),
    ("dubois freres", "Dubois Frères SA"),
    ("газпром", "Газпром нефть"),
    ("gazprom neft", "Газпром нефть"),
    ("東京物産", "東京物産"),
    # German umlauts and ß, typed every way
    ("mueller maschinenbau", "Müller Maschinenbau GmbH"),
    ("muller maschinenbau", "Müller Maschinenbau GmbH"),
    ("Müller", "Müller Maschinenbau GmbH"),
    ("schroeder söhne", "Schröder & Söhne KG"),
    ("schroder & sohne", "Schröder & Söhne KG"),
    ("baeckerei weissgerber", "Bäckerei Weißgerber"),
    ("bäckerei weißgerber", "Bäckerei Weißgerber"),
    ("zuerich versicherung", "Zürich Versicherung AG"),
    # domains, however pasted
    ("acme.com", "Acme Corp"),
    ("acme-logistics.de", "Acme Logistics GmbH"),
    ("www.wayne.com", "Wayne Enterprises"),
    ("https://initech.io", "Initech Systems LLC"),
    ("hooli.xyz", "Hooli Inc"),
    ("dundermifflin.com", "Dunder Mifflin Paper Company"),
    # contacts' e-mails and names
    ("dana@acme.com", "Acme Corp"),
    ("peter.gibbons@initech.io", "Initech Systems LLC"),
    ("gavin@hooli.xyz", "Hooli Inc"),
    ("Lucius@Wayne.com", "Wayne Enterprises"),
    ("michael.scott@dundermifflin.com", "Dunder Mifflin Paper Company"),
    ("dana scully", "Acme Corp"),
    ("lucius fox", "Wayne Enterprises"),
    ("charlie bucket", "Wonka Industries"),
    ("nancy davolio", "Northwind Traders"),
    ("joerg mueller", "Müller Maschinenbau GmbH"),
    # partial words
    ("wayne ent", "Wayne Enterprises"),
    ("dunder", "Dunder Mifflin Paper Company"),
    ("sterling cooper", "Sterling Cooper Draper Pryce"),
    ("los pollos", "Los Pollos Hermanos"),
    ("weyland", "Weyland-Yutani Corp"),
    ("pied pip", "Pied Piper"),
    ("adventure works", "Adventure Works Cycles"),
    ("tailsp", "Tailspin Toys"),
    ("alpine ski", "Alpine Ski House"),
    ("massive dyn", "Massive Dynamic"),
    ("acme log", "Acme Logistics GmbH"),
    ("hermanos", "Los Pollos Hermanos"),
    # aliases
    ("scdp", "Sterling Cooper Draper Pryce"),
    ("pipernet", "Pied Piper"),
    ("vandelay import export", "Vandelay Industries"),
    ("tokyo bussan", "東京物産"),
    ("stark", "Stark Industries"),
    # legal forms, case, punctuation
    ("acme", "Acme Corp"),
    ("Acme Inc", "Acme Corp"),
    ("ACME CORP", "Acme Corp"),
    ("Acme Logistics GmbH", "Acme Logistics GmbH"),
    ("Globex Corp", "Globex Corporation"),
    ("Initech Systems, LLC", "Initech Systems LLC"),
    ("Hooli, Inc.", "Hooli Inc"),
    ("fabrikam inc.", "Fabrikam Inc"),
    ("tyrell corp", "Tyrell Corporation"),
    ("weyland yutani", "Weyland-Yutani Corp"),
    ("umbrella health", "Umbrella Health Ltd"),
]


@pytest.fixture(scope="module")
def workspace(store_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, int]]:
    """The seeded workspace, built once for the whole table (plus another workspace it must never see)."""
    with lasting_store(store_template, tmp_path_factory.mktemp("quality")) as url:
        yield from _seeded(url)


def _seeded(url: str) -> Iterator[tuple[Runtime, int]]:
    engine = create_store_engine(url)
    rt = Runtime(settings=make_settings(url), engine=engine, clock=Clock(START))
    with rt.sessions.begin() as session:
        workspace_id = workspace_for_team(session, TEAM).id
        for name, domain, aliases, contacts in CUSTOMERS:
            row = add_customer(session, workspace_id, name, domain=domain, aliases=aliases, now=START)
            for contact_name, email in contacts:
                add_contact(session, row, name=contact_name, email=email, now=START)
        other = workspace_for_team(session, "T0OTHER").id
        add_customer(session, other, "Acme Corporation", domain="acme.org", now=START)
        add_customer(session, other, "Umbrella", now=START)
    yield rt, workspace_id
    engine.dispose()


def first_result(rt: Runtime, workspace_id: int, typed: str) -> Any:
    with rt.readers.begin() as session:
        return search_customers(session, rt.indexes, workspace_id, "U0ALICE", typed)


def test_the_table_is_realistic_and_large_enough():
    assert len(QUERIES) >= 50
    assert {expected for _, expected in QUERIES} <= {name for name, *_ in CUSTOMERS}


@pytest.mark.parametrize(("typed", "expected"), QUERIES)
def test_the_expected_customer_comes_first(workspace, typed, expected):
    rt, workspace_id = workspace
    result = first_result(rt, workspace_id, typed)
    assert result.matches, f"{typed!r} found nothing ({result.outcome})"
    assert result.matches[0].name == expected, f"{typed!r}: {[(m.name, m.score) for m in result.matches]}"
    assert result.outcome in ("one", "several")


def test_nonsense_finds_no_customer_of_this_workspace(workspace):
    rt, workspace_id = workspace
    for typed in ("xqzvbnm", "qwertyuiop asdfgh"):
        assert first_result(rt, workspace_id, typed).outcome == "none", typed
