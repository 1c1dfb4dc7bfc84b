"""Thread jobs are known from the moment they are queued, however early the program starts one
and however it imported ``deferToThreadPool``; a running job names the line of the program's
own code the worker is at; and noting them changes nothing the program sees."""

from __future__ import annotations

from deferred_graph import wire
from procs import (
    check,
    clean_env,
    labelled_states_at,
    record_program,
    run_python,
    runtime_env,
    write_program,
)

# Imports threads after defer (the runtime installed on defer's import) and queues a job at
# once: no drain of the pump has run in between.  ``from ... import`` binds the function
# before anything could have wrapped it.  The job waits in the queue, then runs: nothing is
# written to its Deferred in between, yet its row must follow.
EARLY_JOB = r"""
import sys, threading, time
from twisted.internet import defer
from twisted.internet.threads import deferToThreadPool
from twisted.internet import reactor
from twisted.python.threadpool import ThreadPool
import deferred_graph

release, first_done = threading.Event(), threading.Event()

def work(n):
    release.wait()  # WORKER LINE
    return n * 2

def at_the_worker_line():
    line = work.__code__.co_firstlineno + 1
    for frame in list(sys._current_frames().values()):
        while frame is not None:
            if frame.f_code is work.__code__ and frame.f_lineno == line:
                return True
            frame = frame.f_back
    return False

pool = ThreadPool(1, 1, "pool")
pool.start()
first = deferToThreadPool(reactor, pool, first_done.wait)  # the one worker is busy with it
d = deferToThreadPool(reactor, pool, work, 21)
deferred_graph.label(d, "job")
deferred_graph.mark("queued")
first_done.set()
while not at_the_worker_line():  # the worker has reached it (not a fixed delay)
    time.sleep(0.001)
deferred_graph.mark("running")
release.set()
pool.stop()
"""


def test_a_job_queued_right_after_the_import_is_a_thread_job_at_the_worker_line(tmp_path):
    recording = record_program(tmp_path, EARLY_JOB)
    program = tmp_path / "program.py"
    queued = labelled_states_at(recording, "queued")["job"]
    assert queued["blockedBy"]["kind"] == "thread", queued["blockedBy"]
    assert queued["blockedBy"]["text"].startswith("work(21) · queued · "), queued["blockedBy"]
    running = labelled_states_at(recording, "running")["job"]
    assert running["blockedBy"]["kind"] == "thread"
    assert "running on PoolThread-pool-" in running["blockedBy"]["text"], running["blockedBy"]
    line = EARLY_JOB.lstrip("\n").splitlines().index("    release.wait()  # WORKER LINE") + 1
    assert running["blockedBy"]["location"] == {
        "file": str(program),
        "line": line,
        "function": "work",
    }


# A pool that refuses the job: the traceback through deferToThreadPool is Twisted's alone.
REFUSED = r"""
import traceback
from twisted.internet import defer, reactor, threads
try:
    threads.deferToThreadPool(reactor, None, print, "x")
except AttributeError:
    traceback.print_exc()
print(sorted(vars(threads.deferToThreadPool)), threads.deferToThreadPool.__wrapped__
      if hasattr(threads.deferToThreadPool, "__wrapped__") else "not wrapped")
"""


def test_a_refused_job_prints_the_plain_traceback(tmp_path):
    program = write_program(tmp_path, "program.py", REFUSED)
    record = {wire.ENV_RECORD: str(tmp_path / "boot.jsonl"), wire.ENV_TRANSPORT: "none"}
    plain = check(run_python([program], clean_env(), cwd=tmp_path))
    observed = check(run_python([program], runtime_env(record, bootstrap=True), cwd=tmp_path))
    assert b"callInThreadWithCallback" in plain.stderr and b"not wrapped" in plain.stdout
    assert (observed.stdout, observed.stderr) == (plain.stdout, plain.stderr)


# The program's first Twisted import is threads, which imports defer: the runtime installs
# while threads is still executing, and instruments it at the next drain.
THREADS_FIRST = r"""
import threading
from twisted.internet.threads import deferToThreadPool
from twisted.internet import reactor
from twisted.python.threadpool import ThreadPool
import deferred_graph

release = threading.Event()
deferred_graph.flush()
pool = ThreadPool(1, 1, "pool")
pool.start()
d = deferToThreadPool(reactor, pool, release.wait)
deferred_graph.label(d, "job")
deferred_graph.mark("queued")
release.set()
pool.stop()
"""


def test_threads_imported_before_defer_are_instrumented_too(tmp_path):
    recording = record_program(tmp_path, THREADS_FIRST)
    why = labelled_states_at(recording, "queued")["job"]["blockedBy"]
    assert why["kind"] == "thread" and why["text"].startswith("Event.wait() · "), why
