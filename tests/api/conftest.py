"""Fixtures of the HTTP API's tests: the command-line store fixtures, and tokens made as a person would."""

from __future__ import annotations

from tests.cli.conftest import sessions, store

__all__ = ["sessions", "store"]
