"""Real programs, plain and under the runtime: the same output and exit code, and the final
view equal to Twisted's own state at each Deferred's death (``truth.py``).

Each program lives in ``realworld/`` and prints only what it decided (no times); a local server
in the same process listens on port 0.  The ones needing Debian's Scrapy, treq or autobahn run
where those are installed (Twisted 22.4); the long ones carry the ``realworld`` marker
(``npm run test:realworld``)."""

from __future__ import annotations

import importlib.util

import pytest

from realrun import Runs, run_both
from truth import build_cli, cli_rows, compare, died_unseen, load_truths


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


PROGRAMS = [
    pytest.param("flushed.py", id="flushed"),  # the harness's own check: must always pass
    pytest.param("stress.py", id="stress"),
    pytest.param("invisible.py", id="invisible"),
    pytest.param("web_agent.py", id="web-agent"),
    pytest.param("threads.py", id="threads"),
    pytest.param("asyncio_reactor.py", id="asyncio-reactor"),
    pytest.param("forking.py", id="forking"),
]
PROCESSES = {"forking.py": 2}  # the parent and its forked child each record; others: 1
if _has("treq"):
    PROGRAMS.append(pytest.param("web_treq.py", id="treq"))
if _has("autobahn"):
    PROGRAMS.append(pytest.param("websocket.py", id="autobahn", marks=pytest.mark.realworld))
if _has("scrapy"):
    PROGRAMS.append(pytest.param("scrapy_crawl.py", id="scrapy", marks=pytest.mark.realworld))


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    return build_cli(tmp_path_factory.mktemp("cli"))


@pytest.fixture(scope="module")
def runs_of(tmp_path_factory):
    """Each program's two runs, made once for both tests of the program."""
    made: dict[str, Runs] = {}

    def runs(program: str) -> Runs:
        if program not in made:
            made[program] = run_both(program, tmp_path_factory.mktemp(program.split(".")[0]))
        return made[program]

    return runs


@pytest.mark.parametrize("program", PROGRAMS)
def test_same_output_and_exit_code(runs_of, program):
    plain, observed = runs_of(program).outputs()
    assert plain[0] == 0, plain[2][-3000:]
    assert observed == plain


# invisible.py drops Deferreds at the program's recursion limit on purpose (it measures the
# limits), where no Python ``__del__`` can run — the harness's included — so some of its deaths
# have no truth to compare with, and the harness cannot count them: its output is checked above,
# and its rows in the runtime's own tests at the limit (test_invisible.py, test_death.py).
TRUTH_PROGRAMS = [p for p in PROGRAMS if p.id != "invisible"]
COUNT_PROGRAMS = TRUTH_PROGRAMS


@pytest.mark.parametrize("program", TRUTH_PROGRAMS)
def test_final_view_is_the_truth_at_each_death(runs_of, cli, program):
    runs = runs_of(program)
    assert len(runs.processes) == PROCESSES.get(program, 1), runs.processes
    verdicts = []
    for process in runs.processes:
        assert process.truth.exists(), "no truth for pid %d" % process.pid
        rows, _ = cli_rows(cli, process.recording)
        name = "%s (pid %s)" % (program, process.pid)
        verdicts.append(compare(name, load_truths(process.truth), rows))
    assert all(v.truths for v in verdicts)
    bad = [v for v in verdicts if v.count]
    assert not bad, "\n".join(v.summary() for v in bad)


@pytest.mark.parametrize("program", COUNT_PROGRAMS)
def test_header_counts_the_deferreds_that_died_unseen(runs_of, cli, program):
    """The header's "unseen short-lived" figure at the end is the number that died unseen."""
    counts = {}
    for process in runs_of(program).processes:
        _, unseen = cli_rows(cli, process.recording)
        counts[process.pid] = (died_unseen(load_truths(process.truth)), unseen)
    assert all(truth == header for truth, header in counts.values()), (
        "(died unseen, header) by pid: %r" % counts
    )
