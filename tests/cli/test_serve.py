"""`touchpoint serve` as a user starts it: gunicorn's workers, each on a listening socket of its own, and a port
already taken told in one line."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local.slack_standin import SlackStandIn
from tests.helpers import start_touchpoint
from tests.socket_mode.conftest import socket_environment

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening_sockets(port: int) -> int:
    """How many sockets listen on `port` (IPv4), from the kernel's own table: one per process that bound it."""
    found = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, _remote, state = line.split()[1:4]
        if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
            found += 1
    return found


@pytest.fixture
def serving(engine, database_url: str, standin: SlackStandIn, tmp_path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    port = free_port()
    env = socket_environment(standin, database_url, SLACK_SIGNING_SECRET="secret")
    process = start_touchpoint(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "2"],
        env,
        tmp_path,
        tmp_path / "serve.txt",
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while listening_sockets(port) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        yield port, env
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's table of sockets")
def test_each_worker_listens_on_a_socket_of_its_own_so_the_kernel_spreads_connections(serving):
    port, _ = serving
    # One socket shared by both workers let whichever woke first take the connections: 17 of 20 keep-alive
    # clients on one worker. With a socket each, the kernel hands new connections out across them.
    assert listening_sockets(port) == 2
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        client.sendall(b"GET /api/v1/customers?q=acme HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert client.recv(64).startswith(b"HTTP/1.1 401")  # served: no token, told so


def test_a_second_server_on_the_same_port_is_refused_in_one_line(serving, tmp_path):
    port, env = serving
    stderr = tmp_path / "second.txt"
    second = start_touchpoint(["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path, stderr)
    assert second.wait(timeout=60) == 2
    said = stderr.read_text().strip()
    assert said == f"touchpoint: port {port} is already in use on 127.0.0.1 (another touchpoint serve?)"
