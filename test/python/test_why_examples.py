"""The seeds' programs read right: each example is set going in a fresh interpreter, stopped
before its reactor finishes (the reactor is iterated by hand), and a snapshot — what a stop
reads — is checked: tale 3's customers rooted in their deferLater timers, tale 4's generators
at their yield line, tale 5's installations linked to their Cooperator slots, the poetry
client's poems rooted in their connections (with the address), coroutines.py's thread job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import EXAMPLES_DIR, PYTHON_DIR

PRELUDE = """
import json, sys, time
import deferred_graph
deferred_graph.install(start_sender=False)
from twisted.internet import reactor

def states():
    (event,) = deferred_graph.snapshot()["events"]
    return event["deferreds"]

def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        reactor.runUntilCurrent()
        reactor.doIteration(0.01)

def dump():
    print(json.dumps(states()))
"""


def run(body: str, *args: str) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(PYTHON_DIR), str(EXAMPLES_DIR)]))
    env.update(TALE_DELAY="30", EXAMPLE_DELAY="30")
    done = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(body), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=str(EXAMPLES_DIR),
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def by_label(states: list[dict], prefix: str) -> list[dict]:
    return [s for s in states if (s["label"] or "").startswith(prefix)]


def test_tale3_each_customer_is_rooted_in_its_deferlater_timer():
    states = run(
        """
        import tale3_deferlater
        tale3_deferlater.twisted_developer_day(["Customer %d" % i for i in range(3)])
        dump()
        """
    )
    installs = by_label(states, "installation for")
    assert len(installs) == 3
    for s in installs:
        assert s["root"]["kind"] == "timer", s["root"]
        assert "in 30.0 s" in s["root"]["text"] or "in 29." in s["root"]["text"]
        assert "deferLater" in s["root"]["text"] and s["root"]["location"]["file"].endswith(
            "tale3_deferlater.py"
        )
    (join,) = by_label(states, "join")
    assert join["blockedBy"]["kind"] == "list" and join["blockedBy"]["text"] == "0 of 3 fired"


def test_tale4_generator_is_suspended_at_its_yield_line():
    states = run(
        """
        import tale3_deferlater, tale4_inline
        tale3_deferlater.twisted_developer_day(["Customer 1"], install=tale4_inline.inline_install)
        dump()
        """
    )
    (install,) = by_label(states, "installation for")
    assert install["blockedBy"]["kind"] == "generator"
    assert install["blockedBy"]["location"]["line"] == 24  # yield task.deferLater(...)
    assert install["root"]["kind"] == "timer"


def test_tale5_installations_are_linked_to_their_cooperator_slots():
    states = run(
        """
        import tale5_cooperator
        tale5_cooperator.twisted_developer_day(["Customer %d" % i for i in range(7)])
        spin(0.3)  # the Cooperator's ticks start the first five installations
        dump()
        """
    )
    by_id = {s["id"]: s for s in states}
    installs = {s["id"] for s in by_label(states, "installation for")}
    assert len(installs) == 5
    linked = set()
    for slot in by_label(states, "slot "):
        done = by_id[slot["blockedBy"]["ids"][0]]  # coiterate's Deferred -> the task's whenDone
        assert (
            done["blockedBy"]["kind"] == "queue" and "Cooperator task" in done["blockedBy"]["text"]
        )
        assert slot["root"]["kind"] == "timer", slot["root"]
        linked.update(i for i in slot["root"]["ids"] if i in installs)
    assert linked == installs


POETRY = """
import gc, socket
server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(5)
port = server.getsockname()[1]
import poetry_client
from graph_hooks import label
poems = [label(poetry_client.get_poetry("127.0.0.1", port), "poem %d" % i) for i in (1, 2)]
spin(0.3)  # connected; the server never answers
if sys.argv[1:] == ["dicts"]:
    # Twisted logs "Starting factory" with the factory in the event, and a program that never
    # starts logging keeps its events in the log beginner's buffer: more referrers of a factory
    # than a holder keeps, older (first in the heap) than its connector's dictionary...
    from twisted.logger import _loggerFor
    for factory in [o for o in gc.get_objects() if type(o) is poetry_client.PoetryClientFactory]:
        for i in range(12):
            _loggerFor(factory).info("Starting factory {factory!r}", factory=factory)
    del factory
    gc.collect()
    # ...which a debugger's Variables view makes when it shows `self`: every instance gets its
    # __dict__, one more hop between a Deferred and its connector.
    for obj in gc.get_objects():
        module = type(obj).__module__
        if isinstance(module, str) and module.startswith(("twisted.internet", "poetry_client")):
            try:
                vars(obj)
            except TypeError:
                pass
    gc.collect()
dump()
"""


@pytest.mark.parametrize("dicts", [False, True], ids=["plain", "instance-dicts-made"])
def test_poetry_client_poems_are_rooted_in_their_connections(dicts: bool):
    states = run(POETRY, *(["dicts"] if dicts else []))
    poems = by_label(states, "poem ")
    assert len(poems) == 2
    for poem in poems:
        assert poem["root"]["kind"] == "connection", poem["root"]
        assert (
            "PoetryClientFactory" in poem["root"]["text"] and "127.0.0.1:" in poem["root"]["text"]
        )
        assert "connected" in poem["root"]["text"]


def test_coroutines_thread_job_is_running_or_queued():
    states = run(
        """
        import coroutines
        from graph_hooks import label
        inline = label(coroutines.with_inline_callbacks(), "inlineCallbacks")
        reactor.getThreadPool().start()
        spin(0.3)
        dump()
        reactor.getThreadPool().stop()
        """
    )
    (inline,) = by_label(states, "inlineCallbacks")
    root = inline["root"]
    assert root["kind"] == "thread", root
    assert "mysleep(30.0)" in root["text"]
    assert "running on" in root["text"] or "queued" in root["text"]
    if "running on" in root["text"]:
        assert root["location"]["file"].endswith("coroutines.py")
