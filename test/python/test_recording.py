"""Recording files round-trip: what the runtime writes is what it sent live, the header says
what the file is, and the reader names the line of anything wrong."""

from __future__ import annotations

import json
import secrets

import pytest

from deferred_graph import wire
from deferred_graph.recording import RecordingError, read_recording
from procs import check, run_python, runtime_env, write_program
from socket_consumer import Consumer

PROGRAM = """
import sys
from twisted.internet import defer
import deferred_graph

deferred_graph.install()
a = defer.Deferred()
b = defer.Deferred()
a.addCallback(lambda _: b)
deferred_graph.label(b, "inner")
deferred_graph.mark("chained")
a.callback(1)
b.callback("done")
deferred_graph.mark("fired")
failing = defer.fail(ValueError("nope"))
deferred_graph.mark("failed")
failing.addErrback(lambda f: None)
"""


def _is_control(batch) -> bool:
    """Batches a channel composes for itself: hello on connect, dropped + snapshot."""
    return any(event["kind"] in ("hello", "snapshot", "dropped") for event in batch["events"])


def test_a_recording_holds_exactly_the_batches_sent_live(tmp_path):
    """Socket and recording run side by side; apart from each channel's own hello and connect
    snapshot, the file holds the very batches the consumer received, in the same order."""
    token = secrets.token_hex(32)
    consumer = Consumer(token)
    record = tmp_path / "run.jsonl"
    program = write_program(tmp_path, "program.py", PROGRAM)
    settings = {
        wire.ENV_SOCKET: consumer.address,
        wire.ENV_TOKEN: token,
        wire.ENV_RECORD: str(record),
    }
    try:
        check(run_python([program, "--flag"], runtime_env(settings), cwd=tmp_path))
    finally:
        consumer.close()
    recording = read_recording(str(record))
    (connection,) = consumer.accepted()
    live = [batch for batch in connection.batches if not _is_control(batch)]
    saved = [batch for batch in recording.batches if not _is_control(batch)]
    assert saved == live and len(saved) >= 2
    header = recording.header
    assert header["format"] == wire.RECORDING_FORMAT
    assert header["formatVersion"] == wire.RECORDING_FORMAT_VERSION
    assert header["protocolVersion"] == wire.PROTOCOL_VERSION
    assert header["argv"] == [str(program), "--flag"]
    hello = recording.batches[0]["events"][0]
    assert (
        hello["kind"] == "hello"
        and hello["transport"] == "record"
        and hello["pid"] == header["pid"]
    )
    markers = [e["name"] for e in recording.events() if e["kind"] == "marker"]
    assert markers == ["chained", "fired", "failed"]
    failures = [
        e["deferred"]["result"]
        for e in recording.events()
        if e["kind"] in ("created", "changed")
        and e["deferred"]["result"]
        and e["deferred"]["result"]["kind"] == "failure"
    ]
    assert any(f["excType"].endswith("ValueError") and f["message"] == "nope" for f in failures)


def test_an_unwritable_recording_path_leaves_the_program_alone(tmp_path):
    """No folder, no recording — and no traceback, no exit status change."""
    program = write_program(tmp_path, "program.py", PROGRAM + "print('ok')\n")
    settings = {
        wire.ENV_RECORD: str(tmp_path / "missing" / "run.jsonl"),
        wire.ENV_TRANSPORT: "none",
    }
    result = run_python([program], runtime_env(settings), cwd=tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, b"ok\n", b"")


HEADER = json.dumps(
    {
        "format": wire.RECORDING_FORMAT,
        "formatVersion": 1,
        "protocolVersion": "1.0",
        "pid": 1,
        "startedAt": 0.0,
        "argv": [],
    }
)
BATCH = json.dumps(wire.make_batch(1, 1, [{"kind": "marker", "seq": 1, "t": 0.0, "name": "m"}]))


@pytest.mark.parametrize(
    "lines, line, message",
    [
        ([], 1, "empty file"),
        (['{"format": "something-else"}'], 1, "not a Deferred Graph recording"),
        ([HEADER.replace('"formatVersion": 1', '"formatVersion": 2')], 1, "formatVersion 2"),
        ([HEADER.replace('"1.0"', '"2.0"')], 1, "protocol version '2.0'"),
        ([HEADER, BATCH, "{not json"], 3, "not valid JSON"),
        ([HEADER, '{"protocolVersion": "1.0"}'], 2, "no 'events' list"),
        ([HEADER, BATCH, '{"events": [{"kind": "marker"}]}'], 3, "no integer 'seq'"),
        ([HEADER, "", BATCH], 2, "empty line"),
        ([HEADER, BATCH, BATCH[:40]], 3, "not valid JSON"),  # a process killed mid-write
    ],
)
def test_the_reader_names_the_line_of_every_problem(tmp_path, lines, line, message):
    """Each defect is reported as FILE:LINE: what is wrong."""
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(text + "\n" for text in lines), encoding="utf-8")
    with pytest.raises(RecordingError, match=message) as caught:
        read_recording(str(path))
    assert caught.value.line == line and str(caught.value).startswith("%s:%d: " % (path, line))


def test_the_reader_accepts_a_valid_file(tmp_path):
    """The same header and batch pass and come back as written."""
    path = tmp_path / "good.jsonl"
    path.write_text(HEADER + "\n" + BATCH + "\n", encoding="utf-8")
    recording = read_recording(str(path))
    assert recording.header == json.loads(HEADER) and recording.batches == [json.loads(BATCH)]
