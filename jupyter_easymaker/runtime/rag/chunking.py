"""Text -> chunks: a recursive character splitter (in the manner of LangChain's
RecursiveCharacterTextSplitter, without the dependency).

The text is cut at the coarsest boundary that makes each piece small enough:
paragraph breaks, then line breaks, then sentence ends, then spaces, and only
as a last resort inside a word. The pieces are then packed in order into
chunks of at most ``size`` characters; each chunk after the first starts with
about ``overlap`` characters from the end of the one before (cut at a word
boundary when there is one), so that a sentence split between two chunks is
whole in at least one of them. Sizes are counted in characters, so Korean and
other CJK text is measured the same way as Latin text.
"""
from __future__ import annotations

import re

MIN_SIZE = 50

# Coarsest first. Each separator stays at the end of the piece before it, so
# that the pieces put back together are the text itself.
_SEPARATORS = (
    re.compile(r"\n[ \t]*\n\s*"),  # paragraph: one or more blank lines
    re.compile(r"\n"),
    # sentence ends: . ! ? (with closing quotes/brackets) before a space; CJK full stops;
    # Korean final endings (…다 …요 …까 …죠 after a syllable) before a space
    re.compile(r"[.!?]+[\"'”’)\]]*\s+|[。！？]+\s*|(?<=[가-힣])[다요까죠][\"'”’)\]]*\s+"),
)  # then words (spaces), then characters: see _split_words


def chunk_text(text: str, size: int = 800, overlap: int = 100) -> list[str]:
    """Chunks of at most ``size`` characters, each carrying about ``overlap`` characters of the previous one."""
    _validate(size, overlap)
    if not text or text.isspace():
        return []
    # pieces leave room for the overlap, unless the overlap is most of the chunk
    limit = max(size - overlap, size // 2)
    pieces: list[str] = []
    _split(text, limit, 0, pieces)
    return _pack(pieces, size, overlap)


def _validate(size: int, overlap: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int):
        raise ValueError(f"size must be a whole number of characters, got {size!r}")
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE} characters, got {size}")
    if isinstance(overlap, bool) or not isinstance(overlap, int):
        raise ValueError(f"overlap must be a whole number of characters, got {overlap!r}")
    if not 0 <= overlap < size:
        raise ValueError(f"overlap must be at least 0 and less than size ({size}), got {overlap}")


def _split(text: str, limit: int, level: int, out: list[str]) -> None:
    """Append to ``out`` pieces of at most ``limit`` characters that concatenate to ``text``."""
    if len(text) <= limit:
        out.append(text)
        return
    if level == len(_SEPARATORS):
        _split_words(text, limit, out)
        return
    start = 0
    for match in _SEPARATORS[level].finditer(text):
        if match.end() > start:
            _split(text[start:match.end()], limit, level + 1, out)
            start = match.end()
    if start < len(text):
        _split(text[start:], limit, level + 1, out)


def _split_words(text: str, limit: int, out: list[str]) -> None:
    """Cut at the last space that keeps a piece within ``limit`` (by hand, not word by word: a
    10 MB line would otherwise become millions of pieces); a run without spaces is cut by characters."""
    start = 0
    while len(text) - start > limit:
        end = start + limit
        space = max(text.rfind(" ", start, end), text.rfind("\t", start, end), text.rfind("\u3000", start, end))
        cut = space + 1 if space > start else end
        out.append(text[start:cut])
        start = cut
    out.append(text[start:])


def _pack(pieces: list[str], size: int, overlap: int) -> list[str]:
    """Greedy packing in order; a full chunk is emitted and its tail starts the next one."""
    chunks: list[str] = []
    current: list[str] = []
    length = 0
    fresh = False  # whether ``current`` holds text beyond the carried-over tail
    for piece in pieces:
        if length + len(piece) > size:
            previous = "".join(current)
            if fresh:
                chunks.append(previous.strip())
            # (with nothing new in it, ``previous`` is the tail (and whitespace): it shrinks to make room)
            tail = _overlap_tail(previous, min(overlap, size - len(piece)))
            current, length, fresh = [tail], len(tail), False
        current.append(piece)  # whitespace too: it keeps the tail and the next word apart
        length += len(piece)
        fresh = fresh or not piece.isspace()
    if fresh:
        chunks.append("".join(current).strip())
    return [chunk for chunk in chunks if chunk]


def _overlap_tail(text: str, limit: int) -> str:
    """At most ``limit`` characters from the end of ``text``, starting at a word when one starts there."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text.lstrip()
    tail = text[-limit:]
    if not text[-limit - 1].isspace() and not tail[0].isspace():  # the cut fell inside a word
        space = re.search(r"\s", tail)
        if space:  # text without spaces (Chinese, Japanese) keeps the character cut
            tail = tail[space.end():]
    return tail.lstrip()
