"""``python -m deferred_graph run``: run a program exactly as Python would, with the runtime.

``run [--record FILE] SCRIPT [ARGS…]`` behaves like ``python SCRIPT ARGS…`` and
``run [--record FILE] -m MODULE [ARGS…]`` like ``python -m MODULE ARGS…``: same ``sys.argv``,
``sys.path[0]``, ``__main__`` module, tracebacks and exit status (0, a ``SystemExit`` code, 1
after an uncaught exception, death by SIGINT after Ctrl-C).  The runtime is installed when the
program first imports ``twisted.internet.defer`` (through the bootstrap's import watcher, so a
program that never uses Twisted is not made to import it), and the sender's exit hook completes
the recording.

The CLI's process becomes the program's interpreter (:mod:`deferred_graph.relaunch`), so no
frame of the runner is ever under the program's and its recursion depth is a plain run's; the
bootstrap brings the runtime in and gives the program (and its children) a plain environment.

Where that cannot work the program runs in this process instead: scripts are compiled and
executed here rather than through ``runpy.run_path``, which would compile them under the
relative path and rewrite ``sys.argv[0]``; modules go through ``runpy._run_module_as_main``, the
very function ``python -m`` calls.  The runner's frames are then under the program's.
"""

from __future__ import annotations

import atexit
import builtins
import importlib.machinery
import importlib.util
import io
import os
import runpy
import signal
import sys
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from . import relaunch
from .importwatch import BOOTSTRAP_DIR, bootstrap_module

USAGE = """\
usage: python -m deferred_graph run [--record FILE] SCRIPT [ARGS...]
       python -m deferred_graph run [--record FILE] -m MODULE [ARGS...]

Run a Python program exactly as `python SCRIPT` or `python -m MODULE` would, with the
Deferred Graph runtime installed as soon as it imports twisted.internet.defer.

options:
  --record FILE  write the event stream to FILE (JSON Lines, one batch per line)
  -h, --help     show this help and exit
"""


class UsageError(Exception):
    """The command line is wrong; the message says how."""


class HelpRequested(Exception):
    """``-h``/``--help`` before the program name."""


@dataclass
class RunRequest:
    """What ``run`` was asked to do."""

    record: Optional[str] = None
    module: Optional[str] = None
    script: Optional[str] = None
    args: list[str] = field(default_factory=list)


def parse_run_args(argv: list[str]) -> RunRequest:
    """Options end at SCRIPT or ``-m MODULE``; everything after belongs to the program."""
    request = RunRequest()
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg in ("-h", "--help"):
            raise HelpRequested()
        if arg == "--record" or arg.startswith("--record="):
            if "=" in arg:
                value = arg.split("=", 1)[1]
            elif index + 1 < len(argv):
                index += 1
                value = argv[index]
            else:
                value = ""
            if not value:
                raise UsageError("--record needs a FILE")
            request.record = os.path.abspath(value)  # the program may chdir before Twisted loads
        elif arg == "-m" or (arg.startswith("-m") and not arg.startswith("--")):
            module = arg[2:] or (argv[index + 1] if index + 1 < len(argv) else "")
            if not module:
                raise UsageError("-m needs a MODULE")
            request.module = module
            request.args = argv[index + (1 if arg[2:] else 2) :]
            return request
        elif arg == "--":
            if index + 1 >= len(argv):
                raise UsageError("missing SCRIPT after --")
            request.script, request.args = argv[index + 1], argv[index + 2 :]
            return request
        elif arg == "-":
            raise UsageError("reading the program from standard input is not supported")
        elif arg.startswith("-"):
            raise UsageError("unknown option %s" % arg)
        else:
            request.script, request.args = arg, argv[index + 1 :]
            return request
        index += 1
    raise UsageError("missing SCRIPT or -m MODULE")


def _install_when_twisted_loads(record: Optional[str]) -> None:
    def install() -> None:
        import deferred_graph

        if not deferred_graph.install(record=record) and record:
            sys.stderr.write(
                "deferred_graph: runtime not installed, nothing recorded (%s)\n"
                % deferred_graph.last_error
            )

    # Under a debug launch the bootstrap's own watcher may be waiting too; ours (with the
    # recording) replaces it, since the first install wins.
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "DeferImportWatcher"]
    bootstrap_module().DeferImportWatcher(install).activate()


def _write_empty_recording_at_exit(record: str) -> None:
    """A program that never imported Twisted still leaves a valid (header-only) recording, so
    tools reading FILE find what they were promised."""

    def finish() -> None:
        import deferred_graph

        from .recording import write_header_only

        if not deferred_graph.is_installed() and not os.path.exists(record):
            write_header_only(record)

    atexit.register(finish)


class _InterruptExit:
    """Python ends a program killed by an uncaught KeyboardInterrupt by re-raising SIGINT on
    itself after finalisation, so shells see "terminated by SIGINT".  Registered first, this
    atexit hook runs last and does the same."""

    interrupted = False

    def __call__(self) -> None:
        if not self.interrupted or not hasattr(signal, "SIGINT"):
            return
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)


def _user_traceback(tb: Optional[types.TracebackType]) -> Optional[types.TracebackType]:
    """Drop the leading frames of this module and runpy, as the traceback of ``python SCRIPT``
    starts in the program."""
    ours = {os.path.normcase(os.path.abspath(path)) for path in (__file__, runpy.__file__)}
    while (
        tb is not None and os.path.normcase(os.path.abspath(tb.tb_frame.f_code.co_filename)) in ours
    ):
        tb = tb.tb_next
    return tb


def _report_uncaught(error: BaseException, interrupt_exit: _InterruptExit) -> int:
    tb = _user_traceback(error.__traceback__)
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, tb
    sys.excepthook(type(error), error.with_traceback(tb), tb)
    if isinstance(error, KeyboardInterrupt):
        interrupt_exit.interrupted = True
    return 1


def _run_script(script: str, args: list[str]) -> None:
    path = os.path.abspath(script)
    sys.argv[:] = [script] + args
    if os.path.isdir(path) or _is_zip(path):
        del sys.path[0]  # run_path puts the directory or archive there, as Python does
        runpy.run_path(script, run_name="__main__")
        return
    try:
        with io.open_code(path) as handle:
            source = handle.read()
    except OSError as error:
        sys.stderr.write(
            "%s: can't open file %r: [Errno %s] %s\n"
            % (sys.executable, path, error.errno, error.strerror)
        )
        raise SystemExit(2) from None  # the message above is all Python itself prints
    sys.path[0] = os.path.dirname(path)
    main = types.ModuleType("__main__")
    main.__dict__.update(
        __file__=path,
        __builtins__=builtins,
        __spec__=None,
        __package__=None,
        __cached__=None,
        __loader__=importlib.machinery.SourceFileLoader("__main__", path),
    )
    sys.modules["__main__"] = main
    exec(compile(source, path, "exec", dont_inherit=True), main.__dict__)


def _is_zip(path: str) -> bool:
    import zipfile

    try:
        return os.path.isfile(path) and zipfile.is_zipfile(path)
    except OSError:
        return False


def _run_module(module: str, args: list[str]) -> None:
    """Exactly ``python -m``: a fresh ``__main__`` and runpy's own entry point, which prints
    "No module named …" and exits 1 as Python does."""
    sys.argv[:] = ["-m"] + args
    sys.modules["__main__"] = types.ModuleType("__main__")
    run_as_main: Callable[..., Any] = getattr(runpy, "_run_module_as_main", None)  # type: ignore[assignment]
    if run_as_main is not None:
        run_as_main(module, True)
    else:  # pragma: no cover - every CPython 3 has it
        runpy.run_module(module, run_name="__main__", alter_sys=True)


def _exec_program(request: RunRequest) -> None:
    """Become the program's interpreter; returns only where that cannot be done."""
    launch = relaunch.exec_args(
        BOOTSTRAP_DIR, request.record, request.script, request.module, request.args
    )
    if launch is None:
        return
    executable, argv, env = launch
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    try:
        os.execve(executable, argv, env)
    except OSError as error:
        from .debuglog import debug_log

        debug_log("exec of %s failed, running in-process: %r" % (executable, error))


def run(request: RunRequest) -> int:
    """Run the program; returns its exit status unless it raises SystemExit itself (in this
    process only where it cannot become the program's interpreter)."""
    _exec_program(request)
    interrupt_exit = _InterruptExit()
    atexit.register(interrupt_exit)
    if request.record:
        _write_empty_recording_at_exit(request.record)
    try:
        _install_when_twisted_loads(request.record)
    except Exception as error:  # the program runs regardless
        from .debuglog import debug_log

        debug_log("lazy install unavailable: %r" % (error,))
    try:
        if request.module is not None:
            _run_module(request.module, request.args)
        else:
            _run_script(request.script or "", request.args)
    except SystemExit:
        raise
    except BaseException as error:
        return _report_uncaught(error, interrupt_exit)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    """Entry point of ``python -m deferred_graph``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return 0 if argv else 2
    if argv[0] != "run":
        sys.stderr.write(
            USAGE + "\nerror: unknown command %r (the only command is 'run')\n" % argv[0]
        )
        return 2
    try:
        request = parse_run_args(argv[1:])
    except HelpRequested:
        sys.stdout.write(USAGE)
        return 0
    except UsageError as error:
        sys.stderr.write(USAGE + "\nerror: %s\n" % error)
        return 2
    return run(request)
