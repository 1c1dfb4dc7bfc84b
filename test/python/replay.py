"""A minimal consumer: rebuild per-Deferred state from an event stream, as the extension does.

Used to prove that the events alone, replayed from the start, reproduce the state Twisted has.
Events are applied in ``seq`` order; a ``snapshot`` (except a mere ``request``) replaces the
whole picture; ``collected`` removes a Deferred, remembers whether it died with an unhandled
Failure, and keeps its last state in ``dead``: the event's ``final`` state when it changed after
its last report (1.3), else the last state reported.  ``counts`` events carry ``ephemeral``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Optional


class Replay:
    """States by id, built from events."""

    def __init__(self) -> None:
        self.states: dict[int, dict] = {}
        self.collected: dict[int, Optional[dict]] = {}
        self.dead: dict[int, dict] = {}
        self.dead_unknown: set[int] = set()
        self.markers: list[str] = []
        self.ephemeral = 0
        self.last_seq = 0

    def apply(self, events: Iterable[dict]) -> Replay:
        for event in sorted(events, key=lambda e: e["seq"]):
            if event["seq"] <= self.last_seq:
                raise AssertionError(
                    "seq not increasing: %r after %r" % (event["seq"], self.last_seq)
                )
            self.last_seq = event["seq"]
            kind = event["kind"]
            if kind == "created":
                state = event["deferred"]
                if state["id"] in self.states or state["id"] in self.collected:
                    raise AssertionError("created twice: %r" % state["id"])
                self.states[state["id"]] = state
            elif kind == "changed":
                state = event["deferred"]
                if state["id"] not in self.states:
                    raise AssertionError("changed before created: %r" % state["id"])
                self.states[state["id"]] = state
            elif kind == "collected":
                last = self.states.pop(event["id"], None)
                self.collected[event["id"]] = event.get("unhandledFailure")
                final = event.get("final") or last
                if final is not None:
                    self.dead[event["id"]] = final
                if event.get("finalUnknown"):
                    self.dead_unknown.add(event["id"])
            elif kind == "counts":
                self.ephemeral = event["ephemeral"]
            elif kind == "snapshot" and event.get("reason") != "request":
                self.states = {s["id"]: s for s in event["deferreds"]}
                self.ephemeral = event["ephemeral"]
            elif kind == "marker":
                self.markers.append(event["name"])
        return self
