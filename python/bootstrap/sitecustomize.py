"""Deferred Graph bootstrap: auto-install the runtime in a debugged program, then step aside.

The extension puts this folder first on ``PYTHONPATH`` (and ``python/`` second), so Python's
``site`` imports this file as ``sitecustomize`` at start-up.  When ``DEFERRED_GRAPH_ENABLE=1``:

* it registers a tiny ``sys.meta_path`` finder that waits for ``twisted.internet.defer`` to be
  imported and installs the runtime right after that module has executed.  It never imports
  Twisted itself, so programs that do not use Twisted run exactly as before, and every other
  import pays one string comparison;
* it then runs the ``sitecustomize`` that would have run without us (the next one on
  ``sys.path``), so the user's, or the distribution's, still works (errors included), which
  ``site`` reports exactly as it would have.

Like any code injected into someone else's process (compare vscode-js-debug's bootloader) it is
idempotent (a hidden marker on ``sys``), keeps to the standard library, and wraps all of its own
work in one try/except: a failure here must never break the program being debugged.

The CLI (``python -m deferred_graph run``) starts the program as ``python SCRIPT`` with this
folder put first on ``PYTHONPATH`` and ``DEFERRED_GRAPH_CLI`` set (``deferred_graph.relaunch``).
In that mode the bootstrap first takes the CLI's variables out of ``os.environ``, puts the user's
``PYTHONPATH`` back there and this folder out of ``sys.path``, so the program and the processes
it starts see a plain run (its children are not recorded into the CLI's file); then it installs
the runtime with the CLI's recording on the program's Twisted import, and, at exit of a program
that never imported Twisted, leaves the header-only recording the CLI promised.  Where the CLI
runs the program in its own process instead, it loads this file under another name to reuse
:class:`DeferImportWatcher`; the start-up actions only run under the name ``sitecustomize``.
"""

import os
import sys

TARGET_MODULE = "twisted.internet.defer"
ENABLE_ENV = "DEFERRED_GRAPH_ENABLE"  # mirrors deferred_graph.wire.ENV_ENABLE (not imported here)
_MARKER = "_deferred_graph_bootstrapped"
CLI_ENV = "DEFERRED_GRAPH_CLI"  # mirrors deferred_graph.relaunch.ENV_CLI
CLI_PYTHONPATH_ENV = "DEFERRED_GRAPH_CLI_PYTHONPATH"  # mirrors relaunch.ENV_CLI_PYTHONPATH


def _debug(message):
    if os.environ.get("DEFERRED_GRAPH_DEBUG") == "1":
        try:
            os.write(2, ("[deferred_graph bootstrap] %s\n" % message).encode("utf-8", "replace"))
        except Exception:
            pass


class DeferImportWatcher(object):
    """A meta path finder that calls ``callback()`` once, right after Twisted's defer module
    (or ``target``: the runtime watches ``twisted.internet.threads`` too) has executed, so the
    runtime instruments a complete module, and then removes itself."""

    def __init__(self, callback, target=TARGET_MODULE):
        self._callback = callback
        self._target = target
        self._searching = False
        self._fired = False

    def activate(self):
        """Watch for the import, or fire now if the module is already there."""
        if self._target in sys.modules:
            self._fire()
        else:
            sys.meta_path.insert(0, self)

    def deactivate(self):
        """Stop watching; the callback will not run."""
        self._fired = True
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self._target or self._searching or self._fired:
            return None
        self._searching = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._searching = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        self._wrap_loader(spec)
        return spec

    def _wrap_loader(self, spec):
        """Run the callback after the loader's ``exec_module``.  The loader instance is patched
        (and restored) rather than replaced, so ``module.__loader__`` stays Twisted's own."""
        loader = spec.loader
        original = loader.exec_module
        watcher = self

        def exec_module(module):
            if getattr(module, "__name__", None) != watcher._target:
                return original(module)  # a shared loader (zipimport) loading something else
            try:
                del loader.exec_module
            except AttributeError:
                pass
            original(module)
            watcher._fire()

        try:
            loader.exec_module = exec_module
        except (AttributeError, TypeError):
            spec.loader = _LoaderProxy(loader, self._fire)

    def _fire(self):
        if self._fired:
            return
        self._fired = True
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        try:
            self._callback()
        except Exception as error:
            _debug("install failed: %r" % (error,))


class _LoaderProxy(object):
    """Fallback for a loader that refuses attribute assignment: delegate everything, call back
    after ``exec_module``."""

    def __init__(self, loader, after):
        self._loader = loader
        self._after = after

    def __getattr__(self, name):
        return getattr(self._loader, name)

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._after()


def _import_runtime(name="deferred_graph", ours_first=False):
    """Import ``name`` (the runtime or one of its modules); from our sibling folder if
    ``python/`` is not on the path, or first of all when ``ours_first`` (the CLI that started
    us is that copy).  The folder is borrowed for the import only, so the program's
    ``sys.path`` is left as it was."""
    if not ours_first:
        try:
            __import__(name)
            return sys.modules[name]
        except ImportError:
            pass
    sibling = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, sibling)
    try:
        __import__(name)
    finally:
        try:
            sys.path.remove(sibling)
        except ValueError:
            pass
    return sys.modules[name]


def _install_runtime():
    _import_runtime().install()


def _same_entry(a, b):
    """Equal as ``site`` compares ``sys.path`` entries when it removes duplicates."""
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def _take_cli_settings():
    """The CLI's ``--record`` FILE ("" for none) when the CLI started this process, else None.
    Before that, the environment and ``sys.path`` are put back as a plain run has them."""
    record = os.environ.pop(CLI_ENV, None)
    if record is None:
        return None
    user = os.environ.pop(CLI_PYTHONPATH_ENV, None)
    if user is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = user
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and _same_entry(sys.path[0], here):
        del sys.path[0]
        _put_back_users_copy(here, user)
    return record


def _put_back_users_copy(here, user):
    """If the user's ``PYTHONPATH`` lists this folder too, ``site`` dropped that copy as a
    duplicate of ours: it goes back where theirs was (the entries from ``PYTHONPATH`` come
    first in ``sys.path``, once each)."""
    seen = []
    for entry in user.split(os.pathsep) if user else []:
        if _same_entry(entry, here):
            sys.path.insert(len(seen), os.path.abspath(entry))
            return
        key = os.path.normcase(os.path.abspath(entry))
        if key not in seen:
            seen.append(key)
    sys.path_importer_cache.pop(here, None)


def _start_cli_mode(record):
    """Install with the CLI's recording on the program's Twisted import; a program that never
    imports it still leaves a header-only recording."""

    def install():
        runtime = _import_runtime(ours_first=True)
        if not runtime.install(record=record or None) and record:
            sys.stderr.write(
                "deferred_graph: runtime not installed, nothing recorded (%s)\n"
                % (runtime.last_error,)
            )

    DeferImportWatcher(install).activate()
    if record:
        import atexit

        atexit.register(_finish_cli_recording, record, os.getpid())


def _finish_cli_recording(record, pid):
    """At exit, only in the process the CLI started (not a forked child) and only when nothing
    was recorded: the runtime, once installed, writes the file itself."""
    try:
        runtime = sys.modules.get("deferred_graph")
        if os.getpid() != pid or os.path.exists(record):
            return
        if runtime is not None and runtime.is_installed():
            return
        _import_runtime("deferred_graph.recording", ours_first=True).write_header_only(record)
    except Exception as error:
        _debug("empty recording failed: %r" % (error,))


def _import_machinery():
    """(PathFinder, module_from_spec) without importing the ``importlib`` package, which a
    plain start-up does not load: the frozen modules behind it are always there."""
    frozen = sys.modules.get("_frozen_importlib")
    external = sys.modules.get("_frozen_importlib_external")
    if hasattr(frozen, "module_from_spec") and hasattr(external, "PathFinder"):
        return external.PathFinder, frozen.module_from_spec
    import importlib.machinery
    import importlib.util

    return importlib.machinery.PathFinder, importlib.util.module_from_spec


def _next_sitecustomize_spec():
    """The ``sitecustomize`` Python would have imported had this folder not come first."""
    here = os.path.realpath(os.path.dirname(os.path.abspath(__file__)))
    entries = [
        entry for entry in sys.path if os.path.realpath(os.path.abspath(entry or os.curdir)) != here
    ]
    spec = _import_machinery()[0].find_spec("sitecustomize", entries)
    if spec is None or spec.loader is None:
        return None
    if spec.origin and os.path.realpath(spec.origin) == os.path.realpath(os.path.abspath(__file__)):
        return None
    return spec


def _run_next_sitecustomize(spec):
    """Execute the next sitecustomize as ``sitecustomize``.  Its exceptions propagate to
    ``site``, which reports them exactly as it would have without us; on success the import
    system hands ``import sitecustomize`` the user's module, not ours."""
    module = _import_machinery()[1](spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


def _bootstrap():
    spec = None
    try:
        if not getattr(sys, _MARKER, False):  # else already bootstrapped and chained
            # The marker is this module: the runtime reuses its import watcher from it.
            setattr(sys, _MARKER, sys.modules.get(__name__) or True)
            record = _take_cli_settings()
            if record is not None:  # the CLI's recording wins over a debug launch's
                _start_cli_mode(record)
            elif os.environ.get(ENABLE_ENV) == "1":
                DeferImportWatcher(_install_runtime).activate()
            spec = _next_sitecustomize_spec()
    except Exception as error:
        _debug("bootstrap failed: %r" % (error,))
    if spec is not None:
        _run_next_sitecustomize(spec)


if __name__ == "sitecustomize":
    _bootstrap()
