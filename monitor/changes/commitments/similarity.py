"""When two short Chinese texts say the same: the rule the corpus README fixed for scoring, also
used to recognise a commitment stated twice on one page and to pair old and new revisions.

Whitespace, punctuation and quotes are removed; then one containing the other (the shorter with
at least 2 characters) or a character-bigram Dice coefficient at the threshold counts as same.
"""

from __future__ import annotations

import re

_NOISE = re.compile(r"[\s\W_]+")


def squash(text: str | None) -> str:
    return _NOISE.sub("", text or "")


def bigrams(text: str) -> set[str]:
    return {text[i: i + 2] for i in range(len(text) - 1)}


def dice(a: str, b: str) -> float:
    x, y = bigrams(squash(a)), bigrams(squash(b))
    if not x or not y:
        return 1.0 if squash(a) == squash(b) else 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def contains(a: str, b: str) -> bool:
    a, b = squash(a), squash(b)
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 2 and shorter in longer


def same_text(a: str | None, b: str | None, threshold: float = 0.5) -> bool:
    a, b = a or "", b or ""
    return contains(a, b) or dice(a, b) >= threshold
