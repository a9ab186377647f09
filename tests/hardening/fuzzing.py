"""The fuzzers' two modes and their tally.

In the suite (and ``make fuzz FUZZ_EXAMPLES=N``) a target runs a bounded number of hypothesis examples
and the first crash fails it, shrunk, as usual. With ``FAKTURNIK_FUZZ_SECONDS=S`` (``make fuzz
FUZZ_SECONDS=S``) a target runs for ``S`` seconds: hypothesis is given a practically endless
``max_examples`` and :class:`TimeUp` stops it when the time is over. A crash then does not stop the run:
it is recorded (once per kind and place, with its first example and traceback) and the run goes on, so
the summary says how many of each were found. The tallies are printed at the end of the run
(``conftest.py``) as a table that can be pasted into docs/security.md; a target with any finding fails.
"""

from __future__ import annotations

import json
import os
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, Literal, TypeVar

from hypothesis import HealthCheck, Phase, Verbosity, settings

from fakturnik.base.xmlsafe import parse_xml
from fakturnik.errors import FakturnikError

SECONDS = float(os.environ.get("FAKTURNIK_FUZZ_SECONDS", "") or 0)
EXAMPLES = int(os.environ.get("FAKTURNIK_FUZZ_EXAMPLES", "") or 60)
TIMED = SECONDS > 0
REPORTING = TIMED or "FAKTURNIK_FUZZ_EXAMPLES" in os.environ  # under make fuzz: print the table

Kind = Literal["traceback", "not well-formed", "failed check"]


class TimeUp(BaseException):  # not an Exception: hypothesis lets it through untouched
    """The target's time is over (ends a timed run; never a finding)."""


class ServerError(Exception):
    """A server answered 5xx: its own traceback, counted as one."""


@dataclass
class Finding:
    kind: Kind
    where: str
    example: str
    trace: str
    count: int = 1


@dataclass
class Tally:
    """What one target saw: examples run and findings by kind (unique by kind and place)."""

    target: str
    examples: int = 0
    seconds: float = 0.0
    findings: dict[tuple[Kind, str], Finding] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)  # e.g. issued / refused, for the summary
    _deadline: float = 0.0
    _started: float = 0.0

    def count(self, kind: Kind) -> int:
        return sum(f.count for f in self.findings.values() if f.kind == kind)

    def start(self) -> None:
        self._started = time.monotonic()
        self._deadline = self._started + SECONDS

    def stop(self) -> None:
        self.seconds = time.monotonic() - self._started

    @contextmanager
    def case(self, example: Any) -> Iterator[Case]:
        """One example: counted; in a timed run a crash is recorded instead of raised."""
        if TIMED and time.monotonic() >= self._deadline:
            raise TimeUp
        self.examples += 1
        current = Case(self, example)
        try:
            yield current
        except AssertionError as exc:
            if not TIMED:
                raise
            self.record("failed check", exc, example)
        except Exception as exc:  # the crash being looked for
            if not TIMED:
                raise
            self.record("traceback", exc, example)

    def record(self, kind: Kind, exc: BaseException, example: Any) -> None:
        frames = traceback.extract_tb(exc.__traceback__)
        place = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
        key = (kind, f"{type(exc).__name__} at {place}")
        if key in self.findings:
            self.findings[key].count += 1
            return
        trace = "".join(traceback.format_exception(exc, limit=-8))
        self.findings[key] = Finding(kind, key[1], repr(example)[:600], trace[-3000:])


@dataclass
class Case:
    tally: Tally
    example: Any

    def outcome(self, name: str) -> None:
        self.tally.outcomes[name] += 1

    def well_formed(self, data: bytes) -> None:
        """What we wrote must parse as XML; in a timed run a failure is counted, not raised."""
        try:
            parse_xml(data)
        except Exception as exc:
            if not TIMED:
                raise
            self.tally.record("not well-formed", exc, (self.example, data[:300]))

    def well_formed_json(self, data: bytes) -> None:
        """A JSON answer must parse as JSON."""
        try:
            json.loads(data)
        except ValueError as exc:
            if not TIMED:
                raise
            self.tally.record("not well-formed", exc, (self.example, data[:300]))


TALLIES: dict[str, Tally] = {}

F = TypeVar("F", bound=Callable[..., None])


def fuzz_settings() -> settings:
    common: dict[str, Any] = {
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
    }
    if TIMED:  # a practically endless search, stopped by the clock; no shrinking, no example database
        return settings(
            max_examples=10**9,
            phases=(Phase.explicit, Phase.generate),
            database=None,
            derandomize=False,
            report_multiple_bugs=False,
            verbosity=Verbosity.quiet,
            **common,
        )
    return settings(max_examples=EXAMPLES, derandomize=EXAMPLES <= 200, **common)  # the suite is reproducible


def target(name: str) -> Callable[[F], F]:
    """Outermost decorator of a fuzz test: runs it under its tally and fails on any finding."""

    def wrap(test: F) -> F:
        @wraps(test)
        def run(*args: Any, **kwargs: Any) -> None:
            tally = TALLIES[name] = Tally(name)
            tally.start()
            try:
                test(*args, **kwargs)
            except TimeUp:
                pass
            finally:
                tally.stop()
            found = list(tally.findings.values())
            assert not found, "\n\n".join(f"{f.kind}: {f.where} (×{f.count})\n{f.trace}" for f in found)

        return run  # type: ignore[return-value]

    return wrap


def tally(name: str) -> Tally:
    return TALLIES[name]


def allowed(action: Callable[[], Any]) -> Any:
    """The outcome a fuzzed input may have: a result, or a FakturnikError (then None)."""
    try:
        return action()
    except FakturnikError:
        return None


def summary(when: str) -> list[str]:
    """The table (Markdown) of every target run, then each finding with its first example."""
    if not TALLIES:
        return []
    mode = f"{SECONDS:g} s per target" if TIMED else f"{EXAMPLES} examples per target"
    lines = [
        f"Fuzzing {when}, {mode} (`make fuzz {'FUZZ_SECONDS' if TIMED else 'FUZZ_EXAMPLES'}="
        f"{f'{SECONDS:g}' if TIMED else EXAMPLES}`), {os.cpu_count()} CPU:",
        "",
        "| target | seconds | examples | tracebacks | not well-formed | failed checks | outcomes |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for t in TALLIES.values():
        outcomes = "; ".join(f"{k} {v:,}" for k, v in sorted(t.outcomes.items())).replace(",", " ")
        lines.append(
            f"| {t.target} | {t.seconds:.0f} | {t.examples:,} | {t.count('traceback')} | "
            f"{t.count('not well-formed')} | {t.count('failed check')} | ".replace(",", " ")
            + f"{outcomes} |"
        )
    for t in TALLIES.values():
        for f in t.findings.values():
            lines += ["", f"{t.target}: {f.kind} {f.where} (×{f.count}); first example: {f.example}", f.trace]
    return lines
