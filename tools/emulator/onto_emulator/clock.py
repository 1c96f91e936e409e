"""Emulated time: AWS-like durations, scaled by one setting.

AWS objects take minutes to change state (an RDS instance is `creating`
for several minutes, an EKS cluster for about ten). The emulator keeps
those durations, in AWS seconds, and multiplies them by
`ONTO_EMULATOR_TIME_SCALE` (a number or a fraction such as `1/60`; default
`1/60`, so six AWS minutes pass in six seconds). Waiters therefore really
wait, and can be interrupted.

Changes are scheduled on one clock and applied before each request is
handled (`tick`), so every describe sees the state AWS would report at
that moment. `advance` moves the clock forward, for tests.

Every timed change is also recorded on the timeline (`/onto-emulator/
timeline`): what changed, when it started and became ready, which timed
object it waited for (a node group waits for its cluster) and the
`onto:owner` tag of the object, from which the critical path of an apply
is computed.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable


def _scale_from(text: str | None) -> float:
    if not text:
        return 1 / 60
    if "/" in text:
        num, den = text.split("/", 1)
        return float(num) / float(den)
    return float(text)


SCALE = _scale_from(os.environ.get("ONTO_EMULATOR_TIME_SCALE"))

_lock = threading.RLock()
_due: list[tuple[float, int, Callable[[], None]]] = []
_seq = itertools.count()
_offset = 0.0
# While `tick` applies a change, the moment it was due: the change happened
# then, however late the request that applies it arrives. Per thread: other
# requests, served meanwhile, see the real clock.
_applying = threading.local()


def now() -> float:
    """The clock, in real seconds (monotonic, plus what `advance` added);
    inside a scheduled change, the moment that change was due."""
    due = getattr(_applying, "due", None)
    if due is not None:
        return due
    return time.monotonic() + _offset


def after(aws_seconds: float, action: Callable[[], None]) -> None:
    """Runs `action` once `aws_seconds` of AWS time (scaled) have passed.
    Scheduled from within a change (the next step of a state machine), the
    time counts from when that change was due, so sparse polling does not
    stretch a chain of steps."""
    with _lock:
        heapq.heappush(_due, (now() + aws_seconds * SCALE, next(_seq), action))


def tick() -> None:
    """Applies every change that is due, in order."""
    with _lock:
        while _due and _due[0][0] <= time.monotonic() + _offset:
            due, _, action = heapq.heappop(_due)
            _applying.due = due
            try:
                action()
            finally:
                _applying.due = None


def advance(aws_seconds: float) -> None:
    """Moves the clock `aws_seconds` of AWS time forward, then ticks."""
    global _offset
    with _lock:
        _offset += aws_seconds * SCALE
    tick()


def settle() -> None:
    """Applies every scheduled change at once (tests)."""
    global _offset
    with _lock:
        while _due:
            due = _due[0][0]
            if due > now():
                _offset += due - now()
            tick()


@dataclass
class Entry:
    kind: str
    ident: str
    action: str
    started: float
    ready: float | None = None
    after: list[str] = field(default_factory=list)
    owner: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.ident}"

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "id": self.ident,
            "action": self.action,
            "started": self.started,
            "ready": self.ready,
            "seconds": None if self.ready is None else self.ready - self.started,
            "after": self.after,
            "owner": self.owner,
        }


TIMELINE: list[Entry] = []


def progress(
    obj: object,
    steps: Iterable[tuple[str, float]],
    final: str | None,
    *,
    kind: str,
    ident: str,
    action: str,
    after_keys: Iterable[str] = (),
    attr: str = "status",
    owner: str | None = None,
    done: Callable[[], None] | None = None,
) -> Entry:
    """Moves `obj.<attr>` through `steps` (status, AWS seconds each), then
    sets `final` (unless None) and calls `done`. A later `progress` on the
    same object supersedes this one (a delete during a create)."""
    steps = list(steps)
    entry = Entry(kind, ident, action, now(), after=list(after_keys), owner=owner)
    with _lock:
        TIMELINE.append(entry)
    token = object()
    setattr(obj, "_onto_progress", token)

    def step(i: int) -> None:
        if getattr(obj, "_onto_progress", None) is not token:
            return
        if i == len(steps):
            if final is not None:
                setattr(obj, attr, final)
            entry.ready = now()
            setattr(obj, "_onto_progress", None)
            if done is not None:
                done()
            return
        status, seconds = steps[i]
        setattr(obj, attr, status)
        after(seconds, lambda: step(i + 1))

    step(0)
    return entry


def busy(obj: object) -> bool:
    """Whether a timed change of `obj` is still in progress."""
    return getattr(obj, "_onto_progress", None) is not None


def timeline() -> list[dict]:
    with _lock:
        return [e.as_json() for e in TIMELINE]


def critical_path(entries: list[dict]) -> tuple[float, list[str]]:
    """The longest chain of dependent durations: each entry's duration plus
    the longest chain of an entry it waited for (`after`, matched to the
    most recent finished entry of that object that started before it)."""
    best: dict[int, tuple[float, list[str]]] = {}
    ordered = sorted(range(len(entries)), key=lambda i: entries[i]["started"])
    for i in ordered:
        e = entries[i]
        if e["ready"] is None:
            continue
        own = e["ready"] - e["started"]
        chain: tuple[float, list[str]] = (0.0, [])
        for key in e["after"]:
            kind, _, ident = key.partition("/")
            candidates = [
                j
                for j in best
                if entries[j]["kind"] == kind
                and entries[j]["id"] == ident
                and entries[j]["ready"] <= e["started"] + 1e-6
            ]
            if candidates:
                j = max(candidates, key=lambda j: entries[j]["ready"])
                if best[j][0] > chain[0]:
                    chain = best[j]
        best[i] = (own + chain[0], chain[1] + [f"{e['action']} {e['kind']}/{e['id']}"])
    if not best:
        return 0.0, []
    return max(best.values(), key=lambda b: b[0])


def reset() -> None:
    """Forgets the schedule and the timeline (tests)."""
    global _offset
    with _lock:
        _due.clear()
        TIMELINE.clear()
        _offset = 0.0
