"""Run ``twisted.trial`` with the runtime's hooks installed (no sender), to show the hooks do not
change Twisted's behaviour: ``python trial_hooked.py twisted.test.test_defer ...``.

The formal suite run with recording belongs to the transports' tests; this is the quick check
for the hooks alone.  Exits with trial's status.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))

import deferred_graph  # noqa: E402

if not deferred_graph.install(start_sender=os.environ.get("DEFERRED_GRAPH_RECORD") is not None):
    sys.exit("install failed: %s" % deferred_graph.last_error)

from twisted.scripts.trial import run  # noqa: E402

sys.argv = ["trial"] + sys.argv[1:]
run()
