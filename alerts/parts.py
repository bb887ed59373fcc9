"""Cutting a chat message into parts a receiver takes: byte limits, line boundaries, ``(i/n)`` marks.

Chat robots count UTF-8 *bytes* (WeCom 4096 for markdown, DingTalk and Feishu about 20,000 a
request; a Chinese character is 3). A message is cut into pieces first (its lines; a line
longer than :data:`PIECE_BYTES` is cut at character boundaries), then pieces are packed into
parts that fit, each part marked ``(i/n)``. Pieces depend on the content only, not on the
limit, so ``Alert.progress`` (pieces accepted) stays meaningful when a receiver's "too long"
makes the lane pack smaller, and whichever lane sends the parts.
"""

from __future__ import annotations

PIECE_BYTES = 1024
MIN_LIMIT = PIECE_BYTES + 64  # never pack smaller than one piece plus its mark
MARK_RESERVE = 32  # bytes kept free in each part for "(续)(12/34)\n"


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def pieces(content: str) -> list[str]:
    """``content`` as lines, overlong lines cut into <= PIECE_BYTES-byte pieces."""
    out: list[str] = []
    for line in content.split("\n"):
        if utf8_len(line) <= PIECE_BYTES:
            out.append(line)
            continue
        current, size = [], 0
        for char in line:
            width = utf8_len(char)
            if size + width > PIECE_BYTES:
                out.append("".join(current))
                current, size = [], 0
            current.append(char)
            size += width
        out.append("".join(current))
    return out


def pack(items: list[str], limit: int) -> list[list[str]]:
    """Greedy groups of pieces whose joined text (plus a mark) fits in ``limit`` bytes."""
    budget = max(limit, MIN_LIMIT) - MARK_RESERVE
    groups: list[list[str]] = []
    current: list[str] = []
    size = 0
    for piece in items:
        width = utf8_len(piece) + 1  # + the newline joining it
        if current and size + width > budget:
            groups.append(current)
            current, size = [], 0
        current.append(piece)
        size += width
    if current:
        groups.append(current)
    return groups


def format_parts(groups: list[list[str]], continued: bool = False) -> list[str]:
    """Texts of the parts: marked ``(i/n)`` when there are several, ``(续)`` when resuming."""
    texts = ["\n".join(group).strip("\n") or "…" for group in groups]
    prefix = "(续) " if continued else ""
    if len(texts) == 1:
        return [f"{prefix}{texts[0]}" if continued else texts[0]]
    return [f"{prefix}({i}/{len(texts)})\n{text}" for i, text in enumerate(texts, start=1)]


def split_markdown(content: str, limit: int) -> list[str]:
    """``content`` as parts of at most ``limit`` UTF-8 bytes, split on line boundaries."""
    return format_parts(pack(pieces(content), limit))
