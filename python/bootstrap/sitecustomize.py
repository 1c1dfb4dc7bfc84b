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

The CLI (``python -m deferred_graph run``) loads this file under another name to reuse
:class:`DeferImportWatcher`; the start-up actions only run under the name ``sitecustomize``.
"""

import os
import sys

TARGET_MODULE = "twisted.internet.defer"
ENABLE_ENV = "DEFERRED_GRAPH_ENABLE"  # mirrors deferred_graph.wire.ENV_ENABLE (not imported here)
_MARKER = "_deferred_graph_bootstrapped"


def _debug(message):
    if os.environ.get("DEFERRED_GRAPH_DEBUG") == "1":
        try:
            os.write(2, ("[deferred_graph bootstrap] %s\n" % message).encode("utf-8", "replace"))
        except Exception:
            pass


class DeferImportWatcher(object):
    """A meta path finder that calls ``callback()`` once, right after Twisted's defer module
    has executed (so the runtime instruments a complete module), and then removes itself."""

    def __init__(self, callback):
        self._callback = callback
        self._searching = False
        self._fired = False

    def activate(self):
        """Watch for the import, or fire now if the module is already there."""
        if TARGET_MODULE in sys.modules:
            self._fire()
        else:
            sys.meta_path.insert(0, self)

    def find_spec(self, fullname, path=None, target=None):
        if fullname != TARGET_MODULE or self._searching or self._fired:
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
            if getattr(module, "__name__", None) != TARGET_MODULE:
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


def _import_runtime():
    """Import ``deferred_graph``; if ``python/`` is not on the path, borrow our sibling folder
    for the import only, so the program's ``sys.path`` is left as it was."""
    try:
        import deferred_graph
    except ImportError:
        sibling = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        sys.path.insert(0, sibling)
        try:
            import deferred_graph
        finally:
            try:
                sys.path.remove(sibling)
            except ValueError:
                pass
    return deferred_graph


def _install_runtime():
    _import_runtime().install()


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
            setattr(sys, _MARKER, True)
            if os.environ.get(ENABLE_ENV) == "1":
                DeferImportWatcher(_install_runtime).activate()
            spec = _next_sitecustomize_spec()
    except Exception as error:
        _debug("bootstrap failed: %r" % (error,))
    if spec is not None:
        _run_next_sitecustomize(spec)


if __name__ == "sitecustomize":
    _bootstrap()
