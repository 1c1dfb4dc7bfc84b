"""Settings shared by the examples: how long "work" takes and how many customers there are.

The tale's installations take 3 seconds each, as in the seed.  Tests and the debug
configurations make them short with the environment (``TALE_DELAY=0.02``) so a run takes a
fraction of a second; the number of customers comes from the first command-line argument or
``TALE_CUSTOMERS``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Optional


def seconds(env_name: str, default: float) -> float:
    """A duration in seconds from the environment variable ``env_name``, else ``default``."""
    value = os.environ.get(env_name)
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        sys.exit(f"{env_name} must be a number of seconds, not {value!r}")


def tale_delay() -> float:
    """How long one Wordpress installation takes (``TALE_DELAY``, default 3 s as in the tale)."""
    return seconds("TALE_DELAY", 3.0)


def customer_count(argv: Optional[Sequence[str]] = None) -> Optional[int]:
    """The customer count asked for on the command line or in ``TALE_CUSTOMERS``, if any."""
    args = sys.argv[1:] if argv is None else argv
    value = args[0] if args else os.environ.get("TALE_CUSTOMERS")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        sys.exit(f"the customer count must be a whole number, not {value!r}")


def customers(default: Sequence[str]) -> list[str]:
    """The day's customers: ``default``, or "Customer 0".."Customer N-1" when a count is given."""
    count = customer_count()
    if count is None:
        return list(default)
    return ["Customer %d" % i for i in range(count)]


def numbered_customers(count: int = 15) -> list[str]:
    """The tale's usual list, "Customer 0" to "Customer 14"."""
    return customers(["Customer %d" % i for i in range(count)])


@contextmanager
def timed(example: int) -> Iterator[None]:
    """Print the tale's header and its "Elapsed time" footer around one example."""
    print("------ Running example %d ------" % example, flush=True)
    start = time.monotonic()
    yield
    print("* Elapsed time: %.2f seconds" % (time.monotonic() - start), flush=True)
