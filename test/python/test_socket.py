"""The socket route (for sessions without DAP events): a real loopback consumer in the test
authenticates the runtime by token, refuses a wrong one, and sees the runtime reconnect with a
dropped count and a resync snapshot after it went away mid-stream."""

from __future__ import annotations

import json
import secrets

import pytest

from deferred_graph import wire
from procs import check, clean_env, run_python, runtime_env, write_program
from socket_consumer import BUSY_PROGRAM as PROGRAM
from socket_consumer import Consumer


def run_against(tmp_path, consumer: Consumer, token: str, seconds: float, **extra: str):
    program = write_program(tmp_path, "program.py", PROGRAM)
    settings = {wire.ENV_SOCKET: consumer.address, wire.ENV_TOKEN: token}
    settings.update(extra)
    return check(run_python([program, seconds], runtime_env(settings), cwd=tmp_path))


@pytest.mark.parametrize("kind", ["tcp", "unix"])
def test_the_right_token_is_accepted_and_every_batch_arrives(tmp_path, kind):
    """Auth line first (token and pid), then hello over "socket", the program's Deferreds, the
    marker, and the tail flushed at exit."""
    token = secrets.token_hex(32)
    consumer = Consumer(token, kind)
    try:
        result = run_against(tmp_path, consumer, token, 0.3)
    finally:
        consumer.close()
    (connection,) = consumer.accepted()
    assert connection.auth["kind"] == wire.SOCKET_AUTH_KIND and isinstance(
        connection.auth["pid"], int
    )
    events = connection.events()
    assert events[0]["kind"] == "hello" and events[0]["transport"] == "socket"
    assert events[0]["pid"] == connection.auth["pid"]
    seen = {e["deferred"]["id"] for e in events if e["kind"] in ("created", "changed")}
    seen |= {s["id"] for e in events if e["kind"] == "snapshot" for s in e["deferreds"]}
    assert set(json.loads(result.stdout)) <= seen
    assert [e["name"] for e in events if e["kind"] == "marker"] == ["end"]


QUIET_PROGRAM = """
import time
from twisted.internet import defer

results = []
for i in range(300):
    d = defer.Deferred()
    d.addCallback(lambda r: r * 2)
    d.addCallback(results.append)
    d.callback(i)
    time.sleep(0.005)
print(len(results), sum(results))
"""


def test_a_wrong_token_is_refused_and_the_program_does_not_notice(tmp_path):
    """The consumer closes every connection with a wrong token; the runtime (injected by the
    bootstrap, as in a debug launch) retries quietly with backoff, and the program's output and
    exit status are byte for byte those of a plain run."""
    program = write_program(tmp_path, "quiet.py", QUIET_PROGRAM)
    consumer = Consumer(secrets.token_hex(32))
    try:
        settings = {wire.ENV_SOCKET: consumer.address, wire.ENV_TOKEN: secrets.token_hex(32)}
        observed = run_python([program], runtime_env(settings, bootstrap=True), cwd=tmp_path)
    finally:
        consumer.close()
    attempts = consumer.connections
    assert len(attempts) >= 2 and all(c.refused and not c.batches for c in attempts)
    plain = run_python([program], clean_env(), cwd=tmp_path)
    assert (observed.returncode, observed.stdout, observed.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )
    assert plain.stdout == b"300 89700\n"


def test_a_consumer_that_leaves_and_returns_gets_hello_dropped_count_and_snapshot(tmp_path):
    """The consumer hangs up after 100 events and is away for 0.8 s; meanwhile the bounded
    outbox (200 events) overflows.  On the new connection: hello, the dropped count, and a
    snapshot from which every Deferred the program kept is known again."""
    token = secrets.token_hex(32)
    consumer = Consumer(token, drop_after=100, away_s=0.8)
    try:
        result = run_against(tmp_path, consumer, token, 2.5, **{wire.ENV_BUFFER: "200"})
    finally:
        consumer.close()
    first, second = consumer.accepted()
    assert len(first.events()) >= 100
    events = second.events()
    assert events[0]["kind"] == "hello"
    dropped = [i for i, e in enumerate(events) if e["kind"] == "dropped"]
    assert dropped, "no dropped report after reconnecting"
    report = events[dropped[0]]
    assert 0 < report["count"] <= report["total"]
    resync = events[dropped[0] + 1]
    assert resync["kind"] == "snapshot" and resync["reason"] == "connect"
    known = {s["id"] for s in resync["deferreds"]}
    known |= {e["deferred"]["id"] for e in events[dropped[0] :] if e["kind"] == "created"}
    assert set(json.loads(result.stdout)) <= known
    assert [e["name"] for e in events if e["kind"] == "marker"] == ["end"]


def test_a_consumer_that_stops_reading_never_blocks_the_program(tmp_path):
    """The consumer reads nothing for 6 s while the program produces ~20 MB of events and
    calls mark() ten times: the socket and the outbox fill, yet the program's loop is done
    long before the consumer wakes up; when it reads again it is told what was dropped and
    gets the state back."""
    token = secrets.token_hex(32)
    consumer = Consumer(token, stall_s=6.0)
    program = write_program(
        tmp_path,
        "flood.py",
        """
        import json, time
        from twisted.internet import defer
        import deferred_graph

        deferred_graph.install()
        started = time.monotonic()
        keep = []
        for i in range(200):
            keep.append(defer.succeed("%06d" % i + "z" * 100000))
            if i % 20 == 0:
                deferred_graph.mark("m%d" % i)
            time.sleep(0.002)
        elapsed = time.monotonic() - started
        time.sleep(7 - elapsed)  # still running when the consumer reads again
        print(json.dumps([elapsed, [deferred_graph.id_of(d) for d in keep]]))
    """,
    )
    settings = {
        wire.ENV_SOCKET: consumer.address,
        wire.ENV_TOKEN: token,
        wire.ENV_REPR_LIMIT: "120000",
        wire.ENV_BUFFER: "100",
    }
    try:
        result = check(run_python([program], runtime_env(settings), cwd=tmp_path))
    finally:
        consumer.close()
    elapsed, ids = json.loads(result.stdout)
    assert elapsed < 5.0, "the program waited for a consumer that was not reading"
    (connection,) = consumer.accepted()
    events = connection.events()
    kinds = [e["kind"] for e in events]
    assert "dropped" in kinds and kinds[kinds.index("dropped") + 1] == "snapshot"
    known = {s["id"] for e in events if e["kind"] == "snapshot" for s in e["deferreds"]}
    assert set(ids) <= known


def test_socket_address_parsing_is_strict():
    """A malformed DEFERRED_GRAPH_SOCKET is rejected with a message naming the variable."""
    from deferred_graph.socket_transport import parse_socket_address

    assert parse_socket_address("tcp:127.0.0.1:4711")[1] == ("127.0.0.1", 4711)
    assert parse_socket_address("tcp:[::1]:4711")[1] == ("::1", 4711)
    assert parse_socket_address("unix:/tmp/x.sock")[1] == "/tmp/x.sock"
    for bad in ("tcp:localhost", "udp:1.2.3.4:5", "unix:", ""):
        with pytest.raises(ValueError, match=wire.ENV_SOCKET):
            parse_socket_address(bad)
