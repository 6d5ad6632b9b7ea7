"""The RAG document loaders on real documents (tests/data/rag-docs, see its SOURCES.md):
every fixture yields the text SOURCES.md names, or fails with the right LoadError code."""
from __future__ import annotations

import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from jupyter_easymaker.runtime.rag import loaders
from jupyter_easymaker.runtime.rag.loaders import (
    LIMITS,
    SUPPORTED,
    LoadError,
    check_file,
    load_text,
)

DOCS = Path(__file__).parent / "data" / "rag-docs"
NOT_DOCUMENTS = {"SOURCES.md", "pdf/crazyones.expected.txt"}  # the fixtures' description and a reference text
INSTALL = "apt-get install catdoc libreoffice-writer-nogui libreoffice-impress-nogui"

# what each readable fixture must yield (from SOURCES.md; table rows as tab-joined cells)
EXPECTED_TEXT: dict[str, list[str]] = {
    "txt/fake-text.txt": ["This is a test document to use for unit tests.", "Hamburgers are delicious"],
    "txt/norwich-city.txt": ["Roberts celebrating after scoring a goal for Norwich City"],
    "txt/UDHR_first_article_all.txt": ["모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다.",
                                       "All human beings are born free and equal in dignity and rights."],
    "txt/fake-text-utf-16.txt": ["This is a test document to use for unit tests."],
    "md/simple-table.md": ["Juicy Apples | 1.99 | 739", "Item | Price | # In stock"],
    "md/codeblock.md": ["## HTML Example", "```html", "<title>Sample HTML</title>"],
    "md/eng_spa_mult.md": ["All human beings are born free and equal in dignity and rights.",
                           "Todos los seres humanos nacen libres e iguales en dignidad y derechos"],
    "pdf/fake-memo.pdf": ["There were 20,000 bottles of water, 10,000 blankets, and 200 laptops delivered on January 23, 2023."],
    "pdf/layout-parser-paper-fast.pdf": ["LayoutParser: A Unified Toolkit for Deep Learning Based Document Image Analysis"],
    "pdf/testPDF.pdf": [("Apache Tika is a toolkit for detecting and extracting metadata and structured text content "
                         "from various documents using existing parser libraries.")],
    "pdf/crazyones.pdf": ["The Crazy Ones", "October 14, 1998"],  # and the whole reference text: test_pdf_matches_pypdf_reference
    "pdf/testPDF_protected.owner-encrypted.pdf": ["RETHINKING THE FINANCIAL NETWORK", "Speech by Andrew G Haldane"],
    "pdf/korean-text-with-tables.pdf": ["할인점·주유·온라인쇼핑몰 1.5% 빅포인트 적립", "커피전문점·제과점·편의점 2% 빅포인트 적립"],
    "pdf/testPDF_bad_page_303226.damaged.pdf": ["1309.61", "Drug Enforcement Administration, Justice"],
    "pdf/multilang.pdf": ["Hello World", "Привет, мир", "你好世界", "こんにちは世界", "مرحبا بالعالم", "สวัสดีชาวโลก"],
    "docx/simple.docx": ["These are a few of my favorite things:", "Parrots", "Hockey"],
    "docx/docx-tables.docx": ["Simple uniform table", "Nested Table", "Table with merged cells",
                              "Header Col 1", "Lorem ipsum", "A link example"],
    "docx/testWORD.docx": ["Sample Word Document Title", "And now for a subtitle", "Main Heading"],
    "doc/simple.doc": ["These are a few of my favorite things:", "This is my first thought.", "DOYLESTOWN, PA 18901"],
    "doc/testWORD.doc": ["Sample Word Document", "This is a sample Microsoft Word Document.",
                         "This document includes text that is BOLD and ITALIC."],
    "doc/fake-doc-emphasized-text.doc": ["I am a bold italic bold-italic text.", "I am a normal text.", "Header Col 1"],
    "doc/test11-chinese.doc": ["这是一个用来测试nodejs解析Word文档.doccccc", "This is a test for parsing the Word file in node."],
    "csv/stanley-cups.csv": ["Team\tLocation\tStanley Cups", "Blues\tSTL\t1", "Flyers\tPHI\t2", "Maple Leafs\tTOR\t13"],
    "csv/semicolon-delimited.csv": ["Lorem, ipsum\tdolor sit\tamet", "consectetur\tadipiscing\telit"],
    "csv/stanley-cups-utf-16.csv": ["Team\tLocation\tStanley Cups", "Maple Leafs\tTOR\t13"],
    "xlsx/stanley-cups.xlsx": ["## Stanley Cups", "## Stanley Cups Since 67", "Team\tLocation\tStanley Cups",
                               "Maple Leafs\tTOR\t13"],
    "xlsx/testEXCEL.xlsx": ["## Feuil1", "Sample Excel Worksheet - Numbers and their Squares", "Number\tSquare"],
    "xls/tests-example.xls": ["## Example Test", "What is 2+2?", "Bagpipes are awesome.", "## Format Abbr.", "## Readme"],
    "xls/testEXCEL.xls": ["Sample Excel Worksheet - Numbers and their Squares", "Number\tSquare", "1\t1", "2\t4", "3\t9"],
    "pptx/fake-power-point.pptx": ["Adding a Bullet Slide", "Find the bullet slide layout", "Here is some text in a text box!"],
    "pptx/fake-power-point-table.pptx": ["A Slide with a Table", "Column 1", "Red", "Green", "Tangerine", "Aqua"],
    "pptx/testPPT.pptx": ["Attachment Test", ("This is a test file data with the same content as every other file "
                                              "being tested for tika content parsing.")],
    "ppt/fake-power-point.ppt": ["Adding a Bullet Slide", "Here is a lot of text!"],
    "ppt/testPPT.ppt": ["Sample Powerpoint Slide", "Created with Microsoft Powerpoint X for Mac Service Release 1"],
}

# the fixtures that must fail, and how
EXPECTED_ERROR: dict[str, str] = {
    "txt/empty.txt": "empty",
    "pdf/loremipsum-flat.scanned.pdf": "image_only",
    "pdf/testOCR.scanned.pdf": "image_only",
    "pdf/password.encrypted.pdf": "encrypted",
    "pdf/crazyones-encrypted-256.encrypted.pdf": "encrypted",
    "docx/testWORD_protected_passtika.encrypted.docx": "encrypted",
    "xlsx/testEXCEL_protected_passtika.encrypted.xlsx": "encrypted",
    "xls/testEXCEL_protected_passtika.encrypted.xls": "encrypted",
    "pptx/testPPT_protected_passtika.encrypted.pptx": "encrypted",
    "docx/testWORD_truncated.corrupt.docx": "corrupt",
    "doc/badfile-01-bad-header.corrupt.doc": "corrupt",
}

# files only LibreOffice reads here (catppt prints nothing for it)
NEEDS_LIBREOFFICE = {"ppt/fake-power-point.ppt"}


def fixtures() -> list[str]:
    found = sorted(str(p.relative_to(DOCS)) for p in DOCS.rglob("*") if p.is_file())
    return [name for name in found if name not in NOT_DOCUMENTS]


def flat(text: str) -> str:
    return " ".join(text.split())


def require_tools(name: str) -> None:
    """Skip only when the converters the file needs are not installed."""
    ext = Path(name).suffix
    if name in NEEDS_LIBREOFFICE and not loaders.libreoffice():
        pytest.skip(f"{name} needs LibreOffice: {INSTALL}")
    if ext == ".doc" and not (shutil.which("catdoc") or loaders.libreoffice()):
        pytest.skip(f".doc files need catdoc or LibreOffice: {INSTALL}")
    if ext == ".ppt" and not (shutil.which("catppt") or loaders.libreoffice()):
        pytest.skip(f".ppt files need catppt (package catdoc) or LibreOffice: {INSTALL}")


def test_every_fixture_has_an_expectation():
    names = set(fixtures())
    assert names == set(EXPECTED_TEXT) | set(EXPECTED_ERROR), "SOURCES.md and this test disagree"
    assert not set(EXPECTED_TEXT) & set(EXPECTED_ERROR)


@pytest.mark.parametrize("name", fixtures())
def test_fixture(name):
    path = str(DOCS / name)
    if name in EXPECTED_ERROR:
        with pytest.raises(LoadError) as caught:
            load_text(path)
        assert caught.value.code == EXPECTED_ERROR[name], caught.value.reason
        assert caught.value.reason and str(caught.value) == caught.value.reason
        return
    require_tools(name)
    text = load_text(path)
    for sentence in EXPECTED_TEXT[name]:
        assert flat(sentence) in flat(text), f"{sentence!r} not in the text of {name}"


def test_pdf_matches_pypdf_reference():
    """crazyones.pdf: exactly pypdf's own reference extraction (with its fi/ff ligatures spelled out)."""
    reference = (DOCS / "pdf/crazyones.expected.txt").read_text(encoding="utf-8")
    assert "\ufb01" in reference  # the reference has the ligature glyphs ...
    text = load_text(str(DOCS / "pdf/crazyones.pdf"))
    assert "\ufb01" not in text and "misfits" in text  # ... the loader spells them out, so "misfits" is found
    assert flat(text) == flat(reference.replace("\ufb01", "fi").replace("\ufb00", "ff"))


def test_korean_text():
    pdf = load_text(str(DOCS / "pdf/korean-text-with-tables.pdf"))
    assert "적립 제외 대상" in pdf
    assert "무이자할부, 다이어트할부, 삼성카드 할인이 적용된 일시불 및" in pdf
    udhr = load_text(str(DOCS / "txt/UDHR_first_article_all.txt"))
    assert "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다." in udhr


def test_semicolon_csv_splits_on_semicolons():
    lines = load_text(str(DOCS / "csv/semicolon-delimited.csv")).split("\n")
    assert lines[0].split("\t") == ["Lorem, ipsum", "dolor sit", "amet"]
    assert lines[-1].split("\t") == ["Ut enim", "ad minim", "veniam, quis"]


def test_spreadsheet_sheets_are_headings():
    text = load_text(str(DOCS / "xlsx/stanley-cups.xlsx"))
    first, second = text.split("\n\n")
    assert first.startswith("## Stanley Cups\n") and second.startswith("## Stanley Cups Since 67\n")
    assert "Maple Leafs\tTOR\t13" in first  # 13, not 13.0


def test_pptx_tables_and_text_boxes():
    text = load_text(str(DOCS / "pptx/fake-power-point-table.pptx"))
    assert "Column 1\tColumn 2\tColumn 3" in text and "Red\tGreen\tBlue" in text
    assert "Here is some text in a text box!" in load_text(str(DOCS / "pptx/fake-power-point.pptx"))


def test_encrypted_reason_says_password():
    for name in ("pdf/password.encrypted.pdf", "xls/testEXCEL_protected_passtika.encrypted.xls"):
        with pytest.raises(LoadError) as caught:
            load_text(str(DOCS / name))
        assert "password" in caught.value.reason


def test_image_only_reason_says_no_ocr():
    with pytest.raises(LoadError) as caught:
        load_text(str(DOCS / "pdf/testOCR.scanned.pdf"))
    assert "OCR is not available" in caught.value.reason


@pytest.mark.skipif(not loaders.libreoffice(), reason=f"needs LibreOffice: {INSTALL}")
def test_doc_through_libreoffice():
    """The fallback catdoc hands over to: LibreOffice's text export of the same .doc."""
    text = loaders.read_with_libreoffice(str(DOCS / "doc/simple.doc"), "txt:Text (encoded):UTF8",
                                         loaders.read_text_file, "doc")
    assert "These are a few of my favorite things:" in text and "DOYLESTOWN, PA 18901" in text


@pytest.mark.parametrize("name", ["doc/simple.doc", "ppt/fake-power-point.ppt"])
def test_without_converters_the_reason_says_what_to_install(name, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no catdoc, catppt or soffice on it
    with pytest.raises(LoadError) as caught:
        load_text(str(DOCS / name))
    assert caught.value.code == "unreadable"
    assert "LibreOffice" in caught.value.reason and "apt-get install catdoc" in caught.value.reason


# --- up-front checks -------------------------------------------------------------------

def test_limits():
    mb = 1024 * 1024
    assert LIMITS[".txt"] == LIMITS[".md"] == LIMITS[".csv"] == LIMITS[".xlsx"] == 3 * mb
    assert LIMITS[".pdf"] == LIMITS[".docx"] == LIMITS[".pptx"] == LIMITS[".ppt"] == 50 * mb
    assert SUPPORTED == {".txt", ".text", ".md", ".pdf", ".doc", ".docx", ".csv", ".xls", ".xlsx", ".ppt", ".pptx"}


@pytest.mark.parametrize("ext", sorted(LIMITS))
def test_too_large(ext, tmp_path):
    limit = LIMITS[ext]
    check_file(f"a{ext}", limit)  # exactly at the limit is fine
    with pytest.raises(LoadError) as caught:
        check_file(f"a{ext}", limit + 1)
    assert caught.value.code == "too_large" and f"{limit // (1024 * 1024)} MB" in caught.value.reason
    path = tmp_path / f"big{ext.upper()}"
    with open(path, "wb") as f:
        f.truncate(limit + 1)  # sparse: nothing is written
    with pytest.raises(LoadError) as caught:
        load_text(str(path))
    assert caught.value.code == "too_large"


@pytest.mark.parametrize("name", ["report.hwp", "notes", "archive.tar.gz", "page.html"])
def test_unsupported_type(name):
    with pytest.raises(LoadError) as caught:
        check_file(name, 10)
    assert caught.value.code == "unsupported_type" and ".pdf" in caught.value.reason


def test_extension_case_does_not_matter():
    check_file("REPORT.PDF", 10)
    check_file("Slides.PpTx", 10)


# --- bytes that are not what their name says -------------------------------------------

@pytest.mark.parametrize("ext", sorted(LIMITS))
def test_garbage_is_a_load_error(ext, tmp_path):
    path = tmp_path / f"garbage{ext}"
    path.write_bytes(random.Random(ext).randbytes(5000))
    with pytest.raises(LoadError) as caught:
        load_text(str(path))
    assert caught.value.code == "corrupt"


@pytest.mark.parametrize("ext", sorted(LIMITS))
def test_zero_bytes_is_empty(ext, tmp_path):
    path = tmp_path / f"nothing{ext}"
    path.write_bytes(b"")
    with pytest.raises(LoadError) as caught:
        load_text(str(path))
    assert caught.value.code == "empty"


def test_missing_file_is_unreadable(tmp_path):
    with pytest.raises(LoadError) as caught:
        load_text(str(tmp_path / "gone.txt"))
    assert caught.value.code == "unreadable"


def test_whitespace_only_is_empty(tmp_path):
    path = tmp_path / "blank.md"
    path.write_text(" \n\t\n  \n")
    with pytest.raises(LoadError) as caught:
        load_text(str(path))
    assert caught.value.code == "empty"


def test_office_file_with_the_wrong_extension_is_read_by_content(tmp_path):
    path = tmp_path / "really-a-docx.doc"
    path.write_bytes((DOCS / "docx/simple.docx").read_bytes())
    assert "These are a few of my favorite things:" in load_text(str(path))


# --- text encodings and normalisation ---------------------------------------------------

KOREAN = "모든 인간은 태어날 때부터 자유로우며 그 존엄과 권리에 있어 동등하다."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp949"])
def test_text_encodings(encoding, tmp_path):
    path = tmp_path / "korean.txt"
    data = KOREAN.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path.write_bytes(data)
    assert load_text(str(path)) == KOREAN


def test_western_legacy_encoding(tmp_path):
    path = tmp_path / "cafe.txt"
    path.write_bytes("Un café crème, s’il vous plaît.".encode("cp1252"))
    assert load_text(str(path)) == "Un café crème, s’il vous plaît."


def test_utf8_with_one_bad_byte_stays_utf8(tmp_path):
    path = tmp_path / "mostly.txt"
    path.write_bytes(KOREAN.encode() + b"\xff" + KOREAN.encode())
    assert load_text(str(path)).count(KOREAN) == 2


def test_normalisation(tmp_path):
    path = tmp_path / "messy.txt"
    decomposed = "\u1112\u1161\u11ab\u1100\u1173\u11af"  # 한글 as macOS writes file names: NFD jamo
    path.write_text(f"  {decomposed}   \r\n\r\n\r\n\r\nsecond\x00 line\t \n\n\n\n", encoding="utf-8")
    assert load_text(str(path)) == "한글\n\nsecond line"


def test_load_error_pickles():
    import pickle

    error = pickle.loads(pickle.dumps(LoadError("corrupt", "broken")))
    assert (error.code, error.reason) == ("corrupt", "broken")
    with pytest.raises(ValueError):
        LoadError("bad-code", "x")


def test_module_imports_no_format_library():
    heavy = ["pypdf", "docx", "pptx", "openpyxl", "xlrd", "msoffcrypto", "olefile"]
    code = ("import sys, jupyter_easymaker.runtime.rag.loaders, jupyter_easymaker.runtime.rag.chunking; "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
