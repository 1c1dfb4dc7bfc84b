"""Twisted's own Deferred, task and Cooperator suites pass unchanged with the runtime installed
(through the CLI, lazily on trial's import of twisted.internet.defer) and recording — with the
exact test counts of a plain run on each supported Twisted version."""

from __future__ import annotations

import re

import pytest
import twisted

from deferred_graph.recording import read_recording
from procs import run_python, runtime_env

EXPECTED = {  # Twisted major version → test counts of a plain trial run (FIELD-NOTES §1)
    22: {"defer": 162, "task": 95},
    26: {"defer": 181, "task": 95},
}
SUITES = {
    "defer": ["twisted.test.test_defer"],
    "task": ["twisted.test.test_task", "twisted.test.test_cooperator"],
}


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_twisteds_suite_passes_with_the_runtime_recording(tmp_path, suite):
    major = int(twisted.__version__.split(".")[0])
    assert major in EXPECTED, "no expected counts for Twisted %s" % twisted.__version__
    expected = EXPECTED[major][suite]
    record = tmp_path / "trial.jsonl"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    result = run_python(
        ["-m", "deferred_graph", "run", "--record", record, "-m", "twisted.trial"] + SUITES[suite],
        runtime_env(),
        cwd=workdir,
        timeout=600,
    )
    output = result.stdout.decode(errors="replace")
    assert result.returncode == 0, output[-3000:] + result.stderr.decode(errors="replace")
    ran = re.search(r"^Ran (\d+) tests? in ", output, re.M)
    passed = re.search(r"^PASSED \(successes=(\d+)\)$", output, re.M)
    assert ran and passed, output[-3000:]
    assert (int(ran.group(1)), int(passed.group(1))) == (expected, expected)
    recording = read_recording(str(record))
    hello = recording.batches[0]["events"][0]
    assert hello["kind"] == "hello" and hello["twisted"] == twisted.__version__
    # Which reported Deferreds die before the last drain depends on timing (a suite this fast
    # makes most of its Deferreds live and die between two drains): only `created` is certain.
    kinds = {event["kind"] for event in recording.events()}
    assert "created" in kinds and kinds <= {
        "hello",
        "created",
        "changed",
        "collected",
        "counts",
        "marker",
        "dropped",
        "snapshot",
    }
