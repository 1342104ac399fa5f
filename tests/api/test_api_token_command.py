"""`touchpoint api-token create|list|revoke`: a token printed once, only its hash kept, a revoke recorded."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import select

from bot.cli import main
from storage.models import ApiToken
from tests.conftest import TEAM


def test_a_new_token_is_printed_once_and_only_its_hash_is_kept(store, sessions, capsys):
    assert main(["api-token", "create", "--team", TEAM, "--name", "shop"]) == 0

    token = capsys.readouterr().out.strip()
    assert re.fullmatch(r"tp_[A-Za-z0-9_-]{43}", token)
    with sessions() as session:
        row = session.scalars(select(ApiToken)).one()
    assert row.name == "shop"
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(row, c.key) for c in ApiToken.__table__.columns])


def test_the_list_shows_names_and_dates_and_a_revoke_keeps_the_row(store, sessions, capsys):
    main(["api-token", "create", "--team", TEAM, "--name", "shop"])
    main(["api-token", "create", "--team", TEAM, "--name", "erp"])
    capsys.readouterr()

    assert main(["api-token", "revoke", "shop", "--team", TEAM]) == 0
    assert "revoked shop" in capsys.readouterr().out
    assert main(["api-token", "list", "--team", TEAM]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "CREATED", "LAST", "USED", "REVOKED"]
    shop = next(line for line in lines if line.startswith("shop"))
    erp = next(line for line in lines if line.startswith("erp"))
    assert shop.count("UTC") == 2 and erp.count("UTC") == 1
    with sessions() as session:
        assert len(session.scalars(select(ApiToken)).all()) == 2


def test_bad_names_and_unknown_tokens_are_one_line_and_exit_2(store, capsys):
    main(["api-token", "create", "--team", TEAM, "--name", "shop"])
    capsys.readouterr()

    for argv in (
        ["api-token", "create", "--team", TEAM, "--name", "shop"],
        ["api-token", "create", "--team", TEAM, "--name", "has space"],
        ["api-token", "create", "--team", TEAM],
        ["api-token", "revoke", "nosuch", "--team", TEAM],
        ["api-token", "list", "--team", "T0OTHER"],
    ):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("touchpoint: ") and err.count("\n") == 1, (argv, err)
        assert "Traceback" not in err
