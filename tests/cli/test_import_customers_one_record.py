"""`touchpoint import customers`: rows about one customer make one record with every field of both, a re-import
changes nothing and says so, and owners, stages and domains are taken as the card takes them."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Customer, CustomerName
from storage.workspaces import member_row, workspace_for_team
from tests.cli.test_data_commands import counts, customer_named, run, write_csv
from tests.conftest import TEAM

SAME_DOMAIN_CSV = (
    "name,domain,aliases,stage,owner\n"
    "Globex,globex.com,GX,lead,U0ALICE\n"
    "Acme Corp,acme.com,,active,\n"
    "Globex Corporation,globex.com;globex.net,Globex Corp,,\n"
    "Initech,initech.com,,,\n"
)


def names_of(sessions, customer: Customer, kind: str) -> set[str]:
    with sessions() as session:
        rows = session.scalars(
            select(CustomerName.value).where(CustomerName.customer_id == customer.id, CustomerName.kind == kind)
        )
        return set(rows)


def test_two_rows_with_one_domain_make_one_customer_with_every_field_of_both(capsys, store, sessions, tmp_path):
    status, out, err = run(capsys, "import", "customers", write_csv(tmp_path, SAME_DOMAIN_CSV), "--team", TEAM)

    assert (status, err) == (0, "")
    assert out == (
        "imported 3 new customers (1 row about a customer an earlier row named), updated 0, unchanged 0, "
        "skipped 0 bad rows\n"
    )
    assert counts(store)["customers"] == 3
    globex = customer_named(sessions, "Globex")
    assert (globex.domain, globex.stage, globex.owner_user_id) == ("globex.com", "lead", "U0ALICE")
    assert names_of(sessions, globex, "alias") == {"GX", "Globex Corporation", "Globex Corp"}
    assert names_of(sessions, globex, "domain") == {"globex.com", "globex.net"}


def test_reimporting_a_file_with_merged_rows_changes_nothing_and_says_so(capsys, store, tmp_path):
    path = write_csv(tmp_path, SAME_DOMAIN_CSV)
    assert run(capsys, "import", "customers", path, "--team", TEAM)[0] == 0
    before = counts(store)

    status, out, err = run(capsys, "import", "customers", path)

    assert (status, err) == (0, "")
    assert out == "nothing changed: 4 rows already in the store as the file has them, skipped 0 bad rows\n"
    assert counts(store) == before


def test_a_row_with_a_known_domain_completes_the_stored_customer(capsys, store, sessions, tmp_path):
    assert run(capsys, "import", "customers", write_csv(tmp_path, SAME_DOMAIN_CSV), "--team", TEAM)[0] == 0
    later = "name,domain,owner\nGlobex International,globex.net,U0BOB\n"

    status, out, _ = run(capsys, "import", "customers", write_csv(tmp_path, later, "later.csv"))

    assert status == 0
    assert out == "imported 0 new customers, updated 1, unchanged 0, skipped 0 bad rows\n"
    globex = customer_named(sessions, "Globex")
    assert globex.owner_user_id == "U0ALICE"  # kept, never overwritten
    assert "Globex International" in names_of(sessions, globex, "alias")
    assert counts(store)["customers"] == 3


def test_owners_and_stages_are_taken_as_the_card_takes_them_or_told_by_line(capsys, store, sessions, tmp_path):
    with sessions.begin() as session:
        workspace = workspace_for_team(session, TEAM)
        member_row(session, workspace.id, "U0BOB").name = "bob"
    text = "name,stage,owner\nAcme Corp,At risk,@bob\nGlobex,trial,<@U0CAROL>\nInitech,prospect,@nobody\nHooli,,U0DAN\n"
    path = write_csv(tmp_path, text)

    status, out, err = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 0
    assert out == "imported 4 new customers, updated 0, unchanged 0, skipped 0 bad rows\n"
    assert err.splitlines() == [
        f"{path}:3: stage 'trial' is not one of this workspace's (lead, prospect, onboarding, active, at-risk, "
        "churned); left out",
        f"{path}:4: owner '@nobody' is not a Slack user id (such as U012AB3CD) nor one known member's name; left out",
    ]
    found = {name: customer_named(sessions, name) for name in ("Acme Corp", "Globex", "Initech", "Hooli")}
    assert {name: (c.stage, c.owner_user_id) for name, c in found.items()} == {
        "Acme Corp": ("at-risk", "U0BOB"),
        "Globex": (None, "U0CAROL"),
        "Initech": ("prospect", None),
        "Hooli": (None, "U0DAN"),
    }


def test_a_file_separated_by_semicolons_is_read(capsys, store, sessions, tmp_path):
    text = 'Name;Domain;Aliases;Stage\nMüller GmbH;mueller.de;"Mueller;MGH";lead\nAcme Corp;acme.com;;\n'

    status, out, err = run(capsys, "import", "customers", write_csv(tmp_path, text), "--team", TEAM)

    assert (status, err) == (0, "")
    assert out == "imported 2 new customers, updated 0, unchanged 0, skipped 0 bad rows\n"
    mueller = customer_named(sessions, "Müller GmbH")
    assert (mueller.domain, mueller.stage) == ("mueller.de", "lead")
    assert names_of(sessions, mueller, "alias") == {"Mueller", "MGH"}


def test_one_new_customer_is_counted_in_the_singular(capsys, store, tmp_path):
    path = write_csv(tmp_path, "name,domain\nAcme Corp,\n,x.com\n")

    status, out, _ = run(capsys, "import", "customers", path, "--team", TEAM)

    assert status == 1
    assert out == "imported 1 new customer, updated 0, unchanged 0, skipped 1 bad row\n"
