"""The bootstrap's import watcher, shared: one implementation of "run this right after that
Twisted module has executed" for the debug-launch bootstrap, the CLI and the runtime's own late
instrumentation (``twisted.internet.threads``, which a program usually imports after
``defer``; importing it ourselves would change the program's modules)."""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from typing import Any, Callable, Optional

BOOTSTRAP_DIR = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bootstrap"
)
BOOTSTRAP_FILE = os.path.join(BOOTSTRAP_DIR, "sitecustomize.py")

_loaded: Optional[Any] = None


def bootstrap_module() -> Any:
    """The bootstrap module under a private name (loaded once; its start-up actions only run
    under the name ``sitecustomize``)."""
    global _loaded
    if _loaded is None:
        # Under a debug launch or the CLI the bootstrap already runs as ``sitecustomize``: the
        # same file, loaded once (a second copy would be more of our objects in the program).
        running = getattr(sys, "_deferred_graph_bootstrapped", None)  # the bootstrap's marker
        if type(running) is types.ModuleType and hasattr(running, "DeferImportWatcher"):
            _loaded = running
            return running
        spec = importlib.util.spec_from_file_location("_deferred_graph_bootstrap", BOOTSTRAP_FILE)
        if spec is None or spec.loader is None:
            raise ImportError("bootstrap not found at %s" % BOOTSTRAP_FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _loaded = module
    return _loaded


def when_imported(name: str, callback: Callable[[], None]) -> Any:
    """Call ``callback()`` once, right after module ``name`` has executed (now if it already
    has); returns the watcher (``deactivate()`` stops it)."""
    watcher = bootstrap_module().DeferImportWatcher(callback, name)
    watcher.activate()
    return watcher
