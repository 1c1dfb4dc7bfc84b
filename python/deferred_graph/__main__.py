"""``python -m deferred_graph``: the command line (see :mod:`deferred_graph.cli`)."""

import sys

from deferred_graph.cli import main

if __name__ == "__main__":
    sys.exit(main())
