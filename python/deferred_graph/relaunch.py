"""How ``run`` starts the program: the CLI's process becomes ``python SCRIPT|-m MODULE ARGS``.

Run inside the CLI's own process, a program has the launcher's frames (runpy, ``__main__``,
``cli.py``) under its own: ``traceback.print_stack()`` shows them and recursion stops a few
levels earlier than in a plain run.  So ``run`` replaces itself (``os.execve``) with the same
interpreter, started with the same interpreter options as the CLI was, the program's own
command line and the CLI's environment plus two settings for the bootstrap: the bootstrap
folder first on ``PYTHONPATH`` (so ``site`` imports our ``sitecustomize``), and :data:`ENV_CLI`.

In that mode the bootstrap takes both out again at start-up, before the program runs: it puts
back the user's ``PYTHONPATH`` (:data:`ENV_CLI_PYTHONPATH`) and ``sys.path``, so the program
and every process it starts see exactly a plain run's environment (children are not recorded,
as they never were by the CLI); it installs the runtime with the CLI's recording when Twisted's
defer module is imported, and leaves a header-only recording if that never happens.

Where that cannot work the CLI runs the program in its own process (:func:`exec_args` says
None): no ``os.execve`` that really replaces the process (Windows starts a new one and ends the
caller), no ``sys.executable``, or an interpreter that would not run the bootstrap (``-E``,
``-I``: ``PYTHONPATH`` ignored; ``-S``: no ``site``).

The bootstrap mirrors these names; it may not import the runtime at start-up.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

ENV_CLI = "DEFERRED_GRAPH_CLI"
"""Set by ``run`` for the bootstrap: the ``--record`` FILE, or "" for none."""

ENV_CLI_PYTHONPATH = "DEFERRED_GRAPH_CLI_PYTHONPATH"
"""Set by ``run`` when the user had ``PYTHONPATH``: its value, for the bootstrap to put back."""

# Interpreter options, in one cluster before the CLI's -m (-Bm deferred_graph), that take no
# argument: a letter outside this set means the cluster is not one we can read.
_FLAG_LETTERS = set("bBdEhiIOPqsSuvVR")


def exec_args(
    bootstrap_dir: str,
    record: Optional[str],
    script: Optional[str],
    module: Optional[str],
    args: list[str],
) -> Optional[tuple[str, list[str], dict[str, str]]]:
    """(executable, argv, environment) that start the program as Python itself would, or None
    where the program must run in this process instead (see the module docstring)."""
    flags = sys.flags
    if os.name == "nt" or not hasattr(os, "execve") or not sys.executable:
        return None
    if flags.ignore_environment or flags.isolated or flags.no_site:
        return None
    orig_argv: list[str] = list(getattr(sys, "orig_argv", None) or [sys.executable])
    if module is not None:
        target = ["-m", module]
    else:
        script = script or ""
        target = (["--"] if script.startswith("-") else []) + [script]
    argv = [orig_argv[0]] + interpreter_args(orig_argv) + target + list(args)
    return sys.executable, argv, program_env(bootstrap_dir, record)


def interpreter_args(orig_argv: list[str]) -> list[str]:
    """The options the CLI's interpreter was started with: as typed, from ``sys.orig_argv``
    (3.10+) when it reads as ``python OPTIONS -m deferred_graph ARGS``, else rebuilt from
    ``sys.flags``, ``-W`` and ``-X`` options as ``multiprocessing`` does."""
    tail = len(sys.argv) - 1
    head = orig_argv[1 : len(orig_argv) - tail]
    if len(orig_argv) > 1 and orig_argv[len(head) + 1 :] == sys.argv[1:]:
        options = _options_before_dash_m(head)
        if options is not None:
            return options
    import subprocess

    rebuild = getattr(subprocess, "_args_from_interpreter_flags", None)
    return list(rebuild()) if rebuild is not None else []


def _options_before_dash_m(head: list[str]) -> Optional[list[str]]:
    """``head`` without its final ``-m MODULE`` (``-m M``, ``-mM``, ``-Bm M``, ``-BmM``)."""
    if len(head) >= 2 and head[-2].startswith("-") and head[-2].endswith("m"):
        options, cluster = head[:-2], head[-2][1:-1]
    elif head and head[-1].startswith("-") and "m" in head[-1][1:]:
        options, cluster = head[:-1], head[-1][1 : head[-1].index("m", 1)]
    else:
        return None
    if not set(cluster) <= _FLAG_LETTERS:
        return None
    return options + (["-" + cluster] if cluster else [])


def program_env(bootstrap_dir: str, record: Optional[str]) -> dict[str, str]:
    """This environment, in its order, with the bootstrap folder first on ``PYTHONPATH`` and
    what the bootstrap needs to undo that (it removes both variables again)."""
    env = dict(os.environ)
    user = env.get("PYTHONPATH")
    env["PYTHONPATH"] = bootstrap_dir + (os.pathsep + user if user else "")
    env.pop(ENV_CLI_PYTHONPATH, None)
    if user is not None:
        env[ENV_CLI_PYTHONPATH] = user
    env[ENV_CLI] = record or ""
    return env
