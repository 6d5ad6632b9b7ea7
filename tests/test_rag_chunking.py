"""The RAG chunker: sizes, overlap, nothing lost, Korean, argument checks."""
from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest

from jupyter_easymaker.runtime.rag.chunking import chunk_text

DOCS = Path(__file__).parent / "data" / "rag-docs"
NORWICH = (DOCS / "txt/norwich-city.txt").read_text(encoding="utf-8")
UDHR = (DOCS / "txt/UDHR_first_article_all.txt").read_text(encoding="utf-8")
KOREAN = ("모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다. 인간은 천부적으로 이성과 양심을 부여받았으며 "
          "서로 형제애의 정신으로 행동하여야 한다. ")


def covered(text: str, chunks: list[str]) -> None:
    """Each chunk is a piece of the text that starts inside (or, after whitespace, right after) the one
    before it; together they cover every non-space character."""
    mask = bytearray(len(text))
    start = end = 0
    for chunk in chunks:
        latest = end
        while latest < len(text) and text[latest].isspace():
            latest += 1
        found = text.rfind(chunk, start, latest + len(chunk))
        assert found >= 0, f"chunk not found where the previous one ends: {chunk[:60]!r}"
        start, end = found, found + len(chunk)
        mask[start:end] = b"\x01" * len(chunk)
    missed = [ch for ch, seen in zip(text, mask, strict=True) if not seen and not ch.isspace()]
    assert not missed, f"{len(missed)} characters in no chunk"


@pytest.mark.parametrize("size,overlap", [(800, 100), (200, 0), (50, 10), (1000, 300), (120, 100)])
def test_sizes_and_coverage(size, overlap):
    chunks = chunk_text(NORWICH, size, overlap)
    assert chunks and all(0 < len(c) <= size for c in chunks)
    assert all(c == c.strip() for c in chunks)
    covered(NORWICH, chunks)
    # every word that fits in a chunk is whole in one (longer ones, like URLs at size 50, are cut by characters)
    joined = "\n".join(chunks)
    assert all(word in joined for word in set(NORWICH.split()) if len(word) <= size // 2)


def test_chunks_are_well_filled():
    chunks = chunk_text(NORWICH, 800, 100)
    assert sum(len(c) for c in chunks[:-1]) / (len(chunks) - 1) > 500


def test_overlap_carries_the_end_of_the_previous_chunk():
    chunks = chunk_text(NORWICH, 500, 100)
    carried = 0
    for previous, chunk in itertools.pairwise(chunks):
        head = chunk[:30]
        if head in previous:
            carried += 1
            # about `overlap` characters, and starting at a word
            start = previous.rindex(head)
            assert len(previous) - start <= 100
            assert start == 0 or previous[start - 1].isspace()
    assert carried >= 0.9 * (len(chunks) - 1)


def test_no_overlap():
    text = " ".join(f"word{i}" for i in range(2000))
    chunks = chunk_text(text, 100, 0)
    assert " ".join(chunks).split() == text.split()  # every word exactly once, in order


def test_prefers_paragraph_and_sentence_boundaries():
    paragraphs = [f"Paragraph {i} has one sentence. It has a second sentence too." for i in range(40)]
    chunks = chunk_text("\n\n".join(paragraphs), 200, 0)
    assert all(c.startswith("Paragraph") and c.endswith(".") for c in chunks)
    long_paragraph = " ".join(f"Sentence number {i} ends here." for i in range(100))
    assert all(c.endswith(".") for c in chunk_text(long_paragraph, 150, 0))


def test_words_are_not_cut_when_spaces_allow():
    words = [f"token{i:04d}" for i in range(3000)]
    chunks = chunk_text(" ".join(words), 80, 20)
    assert all(re.fullmatch(r"token\d{4}( token\d{4})*", c) for c in chunks)


def test_long_run_without_spaces_is_cut_by_characters():
    text = "x" * 1000
    chunks = chunk_text(text, 100, 10)
    assert all(len(c) <= 100 for c in chunks)
    covered(text, chunks)


def test_korean():
    text = KOREAN * 40
    chunks = chunk_text(text, 120, 30)
    assert all(len(c) <= 120 for c in chunks)
    covered(text, chunks)
    assert sum(c.endswith("다.") for c in chunks) >= 0.8 * len(chunks)  # cut at sentence ends
    korean_line = next(line for line in UDHR.splitlines() if line.startswith("모든 인간은"))
    assert any(korean_line in c for c in chunk_text(UDHR, 800, 100))


def test_cjk_without_spaces():
    text = "这是一个用来测试的句子。" * 200
    chunks = chunk_text(text, 60, 12)
    assert all(len(c) <= 60 for c in chunks)
    covered(text, chunks)
    assert all(c.endswith("。") for c in chunks[:-1])


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t\n"])
def test_empty(text):
    assert chunk_text(text) == []


def test_short_text_is_one_chunk():
    assert chunk_text("  Hello world.  ") == ["Hello world."]


def test_deterministic():
    assert chunk_text(UDHR, 300, 50) == chunk_text(UDHR, 300, 50)


@pytest.mark.parametrize("size,overlap,argument", [
    (49, 0, "size"), (0, 0, "size"), (800.0, 100, "size"), (800, -1, "overlap"), (800, 800, "overlap"),
    (800, 900, "overlap"), (800, "100", "overlap"),
])
def test_arguments_are_checked(size, overlap, argument):
    with pytest.raises(ValueError, match=argument):
        chunk_text("some text", size, overlap)


def test_ten_megabytes_is_fast():
    text = (NORWICH + "\n\n") * (10_000_000 // len(NORWICH))
    started = time.perf_counter()
    chunks = chunk_text(text)
    assert time.perf_counter() - started < 3
    assert len(chunks) > 10_000
    one_line = "word " * 2_000_000  # no line breaks or sentence ends at all
    started = time.perf_counter()
    assert all(len(c) <= 800 for c in chunk_text(one_line))
    assert time.perf_counter() - started < 3
