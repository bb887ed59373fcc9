"""Figures a benchmark measured, printed as they arrive and again as one summary table.

A figure carries its own target so the reader sees met/missed next to the number, and a note
that says what was actually run (quick mode, scaled-down runs, extrapolations).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, TextIO


@dataclass(frozen=True)
class Figure:
    benchmark: str
    name: str
    value: float
    unit: str
    target: str | None = None  # human-readable, e.g. "≥ 1000"
    met: bool | None = None  # None: no target, or not meaningful in this mode
    note: str = ""

    def line(self) -> str:
        value = f"{self.value:,.3f}".rstrip("0").rstrip(".") if isinstance(self.value, float) else f"{self.value:,}"
        verdict = "" if self.met is None else ("  MET" if self.met else "  MISSED")
        target = f"  (target {self.target})" if self.target else ""
        note = f"  — {self.note}" if self.note else ""
        return f"  {self.name}: {value} {self.unit}{target}{verdict}{note}"


def at_least(threshold: float) -> Callable[[float], bool]:
    return lambda value: value >= threshold


def at_most(threshold: float) -> Callable[[float], bool]:
    return lambda value: value <= threshold


@dataclass
class Report:
    """Collects every figure of a run; ``out`` is where lines go as they are measured."""

    quick: bool
    out: TextIO = sys.stdout
    figures: list[Figure] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)  # (benchmark, error)
    current: str = ""

    def figure(
        self,
        name: str,
        value: float,
        unit: str,
        *,
        target: str | None = None,
        check: Callable[[float], bool] | None = None,
        note: str = "",
    ) -> Figure:
        """Record one measurement; ``check`` decides met/missed against ``target``."""
        met = check(value) if check is not None else None
        item = Figure(self.current, name, value, unit, target, met, note)
        self.figures.append(item)
        print(item.line(), file=self.out, flush=True)
        return item

    def note(self, text: str) -> None:
        """Context a reader needs to interpret the figures (what was run, scaled how)."""
        print(f"  · {text}", file=self.out, flush=True)

    def summary(self) -> str:
        lines = ["", "=" * 78, "SUMMARY" + (" (quick mode: targets are for the full run)" if self.quick else "")]
        for benchmark in dict.fromkeys(f.benchmark for f in self.figures):
            lines.append(f"[{benchmark}]")
            lines.extend(f.line() for f in self.figures if f.benchmark == benchmark)
        for benchmark, error in self.failures:
            lines.append(f"[{benchmark}] FAILED: {error}")
        missed = [f for f in self.figures if f.met is False]
        lines.append(f"{len(self.figures)} figures, {len(missed)} targets missed, {len(self.failures)} benchmarks failed")
        return "\n".join(lines)
