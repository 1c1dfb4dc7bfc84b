"""The DAP route under real debugpy (1.6.3 with /usr/bin/python3, 1.8.22 in the Twisted 26.4
venv): a real DAP client launches a Twisted program the way VS Code would, with the bootstrap
injected through the launch's env, and watches the ``deferredGraph`` custom events, the exact
snapshot through ``evaluate`` at a breakpoint, and events that keep flowing while stopped."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
import twisted

from dap_client import DapClient
from deferred_graph import dap_transport, wire
from procs import BOOTSTRAP_DIR, PYTHON_DIR, clean_env, write_program

PROGRAM = """
import threading
import time
from twisted.internet import defer
import deferred_graph


def main():
    a = defer.Deferred()
    b = defer.Deferred()
    a.addCallback(lambda result: b)
    waiter = defer.Deferred()
    deferred_graph.label(waiter, "waiter")
    crowd = [defer.Deferred() for _ in range(400)]  # makes the stop snapshot > 65,540 chars
    a.callback(1)
    time.sleep(0.3)
    stop_here = True  # BREAK
    print("done", a.called, b.called, waiter.called, len(crowd))
    print([t.name for t in threading.enumerate() if not type(t).__module__.startswith("_pydev")])


main()
"""

SNAPSHOT_EXPR = "__import__('deferred_graph').debug_snapshot_json(locals(), globals())"


def _batch(message: dict[str, Any]) -> dict[str, Any]:
    """The Batch a deferredGraph event carries, plain or packed (wire.PackedBatch)."""
    body = message["body"]
    return wire.unpack(body["packed"]) if "packed" in body else body


def _events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [event for message in messages for event in _batch(message)["events"]]


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> dict[str, Any]:
    """One debug session, driven step by step; the tests below check what it recorded."""
    folder = tmp_path_factory.mktemp("dap")
    program = write_program(folder, "program.py", PROGRAM)
    line = PROGRAM.lstrip().splitlines().index("    stop_here = True  # BREAK") + 1
    env = {"PYTHONPATH": "%s:%s" % (BOOTSTRAP_DIR, PYTHON_DIR), wire.ENV_ENABLE: "1"}
    client = DapClient(sys.executable, env=clean_env())
    record: dict[str, Any] = {}
    try:
        client.launch(str(program), env, str(folder), sys.executable, {str(program): [line]})
        stopped = client.wait_event("stopped")
        record["stopped"] = stopped["body"]
        record["before_stop"] = client.events(wire.DAP_EVENT_NAME)
        frame = client.request("stackTrace", {"threadId": stopped["body"]["threadId"]})[
            "stackFrames"
        ][0]
        record["frame_line"] = frame["line"]
        evaluate = {"frameId": frame["id"], "context": "clipboard", "format": {"rawString": True}}
        record["snapshot_text"] = client.request(
            "evaluate", dict(evaluate, expression=SNAPSHOT_EXPR)
        )["result"]
        record["threads"] = client.request("threads")["threads"]
        record["nodelay"] = int(
            client.request(
                "evaluate",
                dict(
                    evaluate,
                    expression=(
                        "__import__('pydevd').get_global_debugger().writer.sock.getsockopt(6, 1)"
                    ),
                ),
            )["result"]
        )
        record["packed_text"] = client.request(
            "evaluate",
            dict(
                evaluate,
                expression=SNAPSHOT_EXPR.replace("debug_snapshot_json", "debug_snapshot_packed"),
            ),
        )["result"]
        waiter_id = int(
            client.request(
                "evaluate",
                dict(evaluate, expression=("__import__('deferred_graph').id_of(waiter)")),
            )["result"]
        )
        record["waiter_id"] = waiter_id
        start = client.mark()
        client.request(
            "evaluate",
            {
                "frameId": frame["id"],
                "context": "repl",
                "expression": "waiter.callback('fired while stopped')",
            },
        )
        fired = client.wait_event(
            wire.DAP_EVENT_NAME,
            start=start,
            where=lambda m: any(
                e["kind"] == "changed"
                and e["deferred"]["id"] == waiter_id
                and e["deferred"]["hasResult"]
                for e in _batch(m)["events"]
            ),
        )
        record["while_stopped"] = client.received[start : client.received.index(fired) + 1]
        client.request("continue", {"threadId": stopped["body"]["threadId"]})
        record["exited"] = client.wait_event("exited")["body"]
        client.wait_event("terminated")  # the adapter relays the debuggee's last messages first
        record["output"] = "".join(
            e["body"].get("output", "")
            for e in client.events("output")
            if e["body"].get("category") == "stdout"
        )
        record["all"] = client.events(wire.DAP_EVENT_NAME)
    finally:
        client.close()
    return record


def test_batches_arrive_as_custom_events_starting_with_hello(session):
    """The first event over DAP is hello (transport "dap"), and every body is a valid batch."""
    messages = session["before_stop"]
    assert messages, "no deferredGraph event before the breakpoint"
    hello = _batch(messages[0])["events"][0]
    assert hello["kind"] == "hello" and hello["transport"] == "dap"
    assert (
        hello["protocolVersion"] == wire.PROTOCOL_VERSION
        and hello["twisted"] == twisted.__version__
    )
    for message in session["all"]:
        body, batch = message["body"], _batch(message)
        assert body["protocolVersion"] == batch["protocolVersion"] == wire.PROTOCOL_VERSION
        assert body["pid"] == batch["pid"] == hello["pid"]
        assert (
            isinstance(body["batch"], int) and body["batch"] == batch["batch"] and batch["events"]
        )
        assert all(
            event["kind"] in wire.EVENT_KINDS and isinstance(event["seq"], int)
            for event in batch["events"]
        )


def test_large_batches_travel_packed_and_small_ones_plain(session):
    """The 400-Deferred burst goes as packed bodies a fraction of their JSON's size; hello and
    the one-Deferred change made while stopped go as plain Batches."""
    packed = [m for m in session["all"] if "packed" in m["body"]]
    assert packed and all(
        set(m["body"]) == {"protocolVersion", "pid", "batch", "packed"} for m in packed
    )
    for message in packed:
        plain = json.dumps(_batch(message), separators=(",", ":"))
        assert len(plain) >= dap_transport.DAP_PACK_MIN_BYTES
        assert len(message["body"]["packed"]) * 4 < len(plain)
    assert "events" in session["before_stop"][0]["body"]
    assert "events" in session["while_stopped"][-1]["body"]


def test_the_debugger_connection_sends_small_messages_without_delay(session):
    """The runtime sets TCP_NODELAY on pydevd's socket to the adapter: pydevd writes a message
    as header then body, and without it a small body waits for the adapter's delayed ACK
    (~40 ms per stackTrace or evaluate answer; bench/RESULTS-e2e.md)."""
    assert session["nodelay"] != 0


def test_the_packed_snapshot_is_the_same_snapshot_at_a_tenth_of_the_size(session):
    """What the extension evaluates at a stop: debug_snapshot_json, packed."""
    packed, plain = session["packed_text"], json.loads(session["snapshot_text"])
    assert packed.startswith(wire.PACKED_PREFIX) and len(packed) * 8 < len(session["snapshot_text"])
    (event,) = wire.unpack(packed)["events"]
    (expected,) = plain["events"]
    assert event["frameNames"] == expected["frameNames"]
    assert event["deferreds"] == expected["deferreds"]


def test_state_before_the_stop_was_sent_while_running(session):
    """The created events for the program's Deferreds arrive before the breakpoint is hit."""
    states = {
        e["deferred"]["id"]: e["deferred"]
        for e in _events(session["before_stop"])
        if e["kind"] in ("created", "changed")
    }
    assert any(state["label"] == "waiter" for state in states.values())
    assert len(states) >= 403


def test_snapshot_at_the_stop_is_exact_named_and_whole(session):
    """evaluate(context=clipboard, rawString) returns the full snapshot JSON unquoted (well past
    the 65,540-character cut of other contexts) with the frame's variable names."""
    assert session["stopped"]["reason"] == "breakpoint"
    text = session["snapshot_text"]
    assert len(text) > 65540
    batch = json.loads(text)
    (snapshot,) = batch["events"]
    assert snapshot["kind"] == "snapshot" and snapshot["reason"] == "stop"
    names = {name: int(did) for did, name in snapshot["frameNames"].items()}
    assert {"a", "b", "waiter"} <= set(names) and names["crowd[0]"] not in (names["a"], names["b"])
    states = {state["id"]: state for state in snapshot["deferreds"]}
    a, b = states[names["a"]], states[names["b"]]
    assert a["hasResult"] and a["result"] == {"kind": "deferred", "id": names["b"]}
    assert a["paused"] == 1 and a["waitingOn"] == names["b"]
    assert not b["hasResult"] and b["callbacks"][0]["continues"] == names["a"]
    assert states[names["waiter"]]["label"] == "waiter" and not states[names["waiter"]]["called"]


def test_events_keep_flowing_while_stopped(session):
    """Firing a Deferred from the debug console while every program thread is suspended is
    reported by the pump thread before the program continues."""
    kinds = [m.get("event") for m in session["while_stopped"] if m.get("type") == "event"]
    assert "continued" not in kinds and kinds[-1] == wire.DAP_EVENT_NAME
    assert session["stopped"]["allThreadsStopped"] is True


def test_the_pump_thread_is_hidden_from_the_user(session):
    """Only the program's own thread is listed, in the debugger's Threads view and in the
    program's ``threading.enumerate()`` (test_the_program_runs_to_its_normal_end)."""
    assert [thread["name"] for thread in session["threads"]] == ["MainThread"]


def test_the_program_runs_to_its_normal_end(session):
    """Output and exit code are the program's own."""
    assert session["exited"]["exitCode"] == 0
    assert session["output"] == "done True False True 400\n['MainThread']\n"


def test_the_last_events_are_flushed_over_dap_at_exit(session):
    """main() returns after the stop and its Deferreds die; the final flush at exit reports
    them collected before the session ends (a and b hold each other in a cycle
    that only the garbage collector would free, so they are not among them)."""
    collected = {e["id"] for e in _events(session["all"]) if e["kind"] == "collected"}
    assert session["waiter_id"] in collected and len(collected) >= 401
