"""Twisted's wider suites give the same results with the runtime installed and recording as
plain: the same tests, each with the same outcome (trial's ``bwverbose`` reporter prints one
``test.id ... [OUTCOME]`` line per test), and the same summary line.

Long (minutes per Twisted version), so marked ``realworld`` (``npm run test:realworld``).  A
suite is run where the installed Twisted ships it: Debian's 22.4 and the 26.4 wheel both have
these today (FIELD-NOTES §6), except ``test_defgen``, gone from 26.4 with
``deferredGenerator``."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from procs import clean_env, runtime_env

SUITES = {
    "web": ["twisted.web.test"],
    "names": ["twisted.names.test"],
    "words": ["twisted.words.test"],
    "mail": ["twisted.mail.test"],
    "internet": [
        "twisted.test.test_tcp",
        "twisted.test.test_internet",
        "twisted.test.test_threads",
    ],
    "generators": [
        "twisted.test.test_defgen",
        "twisted.test.test_amp",
        "twisted.internet.test.test_inlinecb",
        "twisted.internet.test.test_defer_await",
    ],
}
OUTCOME = re.compile(r"^(\S+) \.\.\. \[([A-Z]+)\]$", re.M)
SUMMARY = re.compile(r"^(PASSED|FAILED) \(.*\)$", re.M)
RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:
        return False


def _trial(modules: list[str], cwd: Path, record: Path | None) -> dict[str, object]:
    """One trial run: per-test outcomes, the test count and the summary line."""
    prefix = ["-m", "deferred_graph", "run", "--record", str(record)] if record else []
    result = subprocess.run(
        [sys.executable, *prefix, "-m", "twisted.trial", "--reporter=bwverbose", *modules],
        env=runtime_env() if record else clean_env(),
        cwd=str(cwd),
        capture_output=True,
        timeout=1500,
    )
    output = result.stdout.decode(errors="replace")
    ran, summary = RAN.search(output), SUMMARY.search(output)
    assert ran and summary, output[-3000:] + result.stderr.decode(errors="replace")[-3000:]
    return {
        "exit": result.returncode,
        "ran": int(ran.group(1)),
        "summary": summary.group(0),
        "outcomes": dict(OUTCOME.findall(output)),
    }


@pytest.mark.realworld
@pytest.mark.parametrize("suite", sorted(SUITES))
def test_suite_results_are_the_same_under_the_runtime(tmp_path, suite):
    modules = [m for m in SUITES[suite] if _installed(m)]  # 26.4 has no test_defgen
    assert modules, "none of %s in this Twisted" % SUITES[suite]
    (tmp_path / "plain").mkdir()
    (tmp_path / "observed").mkdir()
    plain = _trial(modules, tmp_path / "plain", None)
    observed = _trial(modules, tmp_path / "observed", tmp_path / "trial.jsonl")
    assert plain["ran"] > 0
    changed = {
        test: (outcome, observed["outcomes"].get(test))
        for test, outcome in plain["outcomes"].items()
        if observed["outcomes"].get(test) != outcome
    }
    extra = set(observed["outcomes"]) - set(plain["outcomes"])
    assert not changed and not extra, (
        "outcomes changed (plain, runtime): %r; only under the runtime: %r"
        % (
            dict(list(changed.items())[:20]),
            sorted(extra)[:20],
        )
    )
    assert {k: observed[k] for k in ("exit", "ran", "summary")} == {
        k: plain[k] for k in ("exit", "ran", "summary")
    }
