"""Document loaders: a file -> its text, per format, with typed failures.

``check_file`` judges a file by name and size alone (before anything is read);
``load_text`` reads it and raises only ``LoadError``, whose ``code`` says what
kind of failure it is (the ingestion report shows it per file) and ``reason``
says it in a sentence.

Office files are recognised by their content, not only their extension: an
OLE container (Word/Excel/PowerPoint 97-2003, or an encrypted OOXML file) or
a zip (OOXML). Binary .doc and .ppt are read with catdoc/catppt and, for the
files those cannot read, with LibreOffice (headless, one private profile per
conversion so that conversions may run side by side).

The format libraries are imported inside the functions that use them: the
module itself must import in milliseconds.
"""
from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

MB = 1024 * 1024
LIMITS: dict[str, int] = {
    ".txt": 3 * MB, ".text": 3 * MB, ".md": 3 * MB,
    ".pdf": 50 * MB, ".doc": 50 * MB, ".docx": 50 * MB,
    ".csv": 3 * MB, ".xls": 3 * MB, ".xlsx": 3 * MB,
    ".ppt": 50 * MB, ".pptx": 50 * MB,
}
SUPPORTED = frozenset(LIMITS)
CODES = frozenset({"too_large", "encrypted", "corrupt", "empty", "image_only", "unsupported_type", "unreadable"})

TOOL_TIMEOUT_S = 120  # catdoc/catppt: seconds even for a 50 MB file
LIBREOFFICE_TIMEOUT_S = 300  # LibreOffice starts in ~1 s, but a large deck can take minutes
INSTALL_HINT = "apt-get install catdoc libreoffice-writer-nogui libreoffice-impress-nogui"


class LoadError(Exception):
    """A document that cannot be turned into text; ``code`` is one of CODES."""

    def __init__(self, code: str, reason: str):
        if code not in CODES:
            raise ValueError(f"unknown LoadError code {code!r}")
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def __reduce__(self):  # keeps it picklable across process pools
        return (type(self), (self.code, self.reason))


# --- up-front checks ---------------------------------------------------------

def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def check_file(name: str, size: int) -> None:
    """Reject a file from its name and size alone, before it is read."""
    ext = extension(name)
    if ext not in LIMITS:
        kinds = ", ".join(sorted(SUPPORTED))
        what = f"{ext} files are" if ext else "files without an extension are"
        raise LoadError("unsupported_type", f"{what} not supported (supported: {kinds})")
    limit = LIMITS[ext]
    if size > limit:
        raise LoadError("too_large", f"the file is {size:,} bytes ({size / MB:.1f} MB); "
                                     f"{ext} files may be at most {limit // MB} MB")


# --- entry point ---------------------------------------------------------------

def load_text(path: str) -> str:
    """The document's text, lightly normalised. Raises LoadError only."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise LoadError("unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    check_file(os.path.basename(path), size)
    if size == 0:
        raise LoadError("empty", "the file is empty (0 bytes)")
    ext = extension(path)
    try:
        text = READERS[ext](path)
    except LoadError:
        raise
    except OSError as exc:
        raise LoadError("unreadable", f"cannot read the file: {exc.strerror or exc}") from None
    except Exception as exc:  # any library failure is the file's fault, reported with the library's words
        raise LoadError("corrupt", f"the {ext} file could not be read: {describe(exc, path)}") from None
    text = normalise(text)
    if not text:
        raise LoadError("empty", "the document contains no text")
    return text


def describe(exc: BaseException, path: str = "") -> str:
    """The library's message, without the job's temporary paths."""
    message = str(exc) or type(exc).__name__
    if path:
        message = message.replace(os.path.abspath(path), os.path.basename(path)).replace(path, os.path.basename(path))
    return f"{type(exc).__name__}: {message}"[:500]


# --- normalisation ---------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff]")
_VERTICAL = re.compile(r"[\x0b\x0c\x85\u2028\u2029]")  # page/line breaks some extractors emit
_BLANK_RUNS = re.compile(r"\n{3,}")
# PDF fonts often encode "fi", "ff", ... as one ligature glyph; nobody types those in a question
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})


def normalise(text: str) -> str:
    """NFC (Korean/CJK kept as they are), Latin ligatures spelled out, unix newlines, no control
    characters or trailing spaces, at most one blank line in a row."""
    text = unicodedata.normalize("NFC", text).translate(_LIGATURES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", _VERTICAL.sub("\n", text))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANK_RUNS.sub("\n\n", text).strip()


# --- plain text and CSV --------------------------------------------------------------

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# tried in order after UTF-8: Korean first (the product's users), then Western
_FALLBACK_ENCODINGS = ("cp949", "cp1252")


def decode_bytes(data: bytes) -> str:
    """Text from bytes: a BOM decides; else UTF-8 (even with a few bad bytes), cp949, cp1252, latin-1."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(encoding, errors="replace")
    utf16 = bomless_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    if mostly_valid(text):
        return text
    for encoding in _FALLBACK_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # decodes anything


def bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM shows as a zero byte in every other position (for Latin text)."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 8:
        return None
    zeros_even, zeros_odd = sample[0::2].count(0), sample[1::2].count(0)
    if zeros_odd > 0.4 * half and zeros_even < 0.05 * half:
        return "utf-16-le"
    if zeros_even > 0.4 * half and zeros_odd < 0.05 * half:
        return "utf-16-be"
    return None


def mostly_valid(text: str) -> bool:
    """UTF-8 with a stray bad byte: far more good non-ASCII characters than replacements."""
    bad = text.count("\ufffd")
    good = len(re.findall(r"[^\x00-\x7f\ufffd]", text))
    return good >= 10 * bad


def looks_binary(text: str) -> bool:
    sample = text[:10000]
    controls = len(re.findall(r"[\x00-\x08\x0e-\x1f]", sample))
    return bool(sample) and controls > 0.05 * len(sample)


def read_text_file(path: str) -> str:
    with open(path, "rb") as f:
        text = decode_bytes(f.read())
    if looks_binary(text):
        raise LoadError("corrupt", "the file does not look like text (it holds binary data)")
    return text


def read_csv(path: str) -> str:
    """Rows as tab-joined cells; the delimiter is sniffed (a semicolon file splits on ';')."""
    text = read_text_file(path)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), csv_dialect(text)))
    except csv.Error:
        return text  # unparseable as CSV (e.g. a huge field): its raw text is still worth indexing
    return "\n".join(row_line(row) for row in rows)


def csv_dialect(text: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:32768]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:  # a single column, or nothing regular enough to tell
        return csv.excel


def row_line(cells: list[Any]) -> str:
    """One table row: tab-joined cells, trailing empty cells dropped; cell line breaks become spaces."""
    texts = [" ".join(cell_text(cell).split()) for cell in cells]
    while texts and not texts[-1]:
        texts.pop()
    return "\t".join(texts)


def cell_text(value: Any) -> str:
    """A spreadsheet value as a person would read it: 13 not 13.0, dates without a midnight time."""
    import datetime

    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


# --- PDF -------------------------------------------------------------------------------

@contextlib.contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """pypdf logs every repaired object (some messages hold whole font dictionaries): keep the job's log readable."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_pdf(path: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with quiet_logger("pypdf"):
        try:
            reader = PdfReader(path, strict=False)
        except (PdfReadError, ValueError, KeyError, TypeError) as exc:
            raise LoadError("corrupt", f"not a readable PDF: {describe(exc, path)}") from None
        unlock_pdf(reader)
        try:
            pages = list(reader.pages)
        except Exception as exc:
            raise LoadError("corrupt", f"the PDF's page tree is damaged: {describe(exc, path)}") from None
        texts, errors = pdf_page_texts(pages)
    text = "\n\n".join(texts)
    if pages and not text.strip():
        if errors and len(errors) == len(pages):
            raise LoadError("corrupt", f"none of the PDF's {len(pages)} pages could be read: {errors[0]}")
        raise LoadError("image_only", f"the PDF has {len(pages)} page(s) but no text layer (scanned images?); "
                                      "OCR is not available, so there is nothing to index")
    return text


def unlock_pdf(reader: Any) -> None:
    """Open an encrypted PDF with the empty user password (owner-password-only PDFs open so)."""
    from pypdf import PasswordType
    from pypdf.errors import DependencyError

    if not reader.is_encrypted:
        return
    try:
        result = reader.decrypt("")
    except DependencyError as exc:
        raise LoadError("unreadable", f"the PDF's encryption needs the 'cryptography' package: {exc}") from None
    except NotImplementedError as exc:
        raise LoadError("encrypted", f"the PDF uses an encryption that cannot be opened: {exc}") from None
    if result == PasswordType.NOT_DECRYPTED:
        raise LoadError("encrypted", "the PDF is protected by a password; remove the password and sync again")


def pdf_page_texts(pages: list[Any]) -> tuple[list[str], list[str]]:
    """Each page's text; a damaged page is skipped so that the rest is still read."""
    texts: list[str] = []
    errors: list[str] = []
    for page in pages:
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:
            errors.append(describe(exc))
    return texts, errors


# --- Office: recognise the container, then read by content ----------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def read_office(path: str) -> str:
    """.doc .docx .xls .xlsx .ppt .pptx: whatever the extension, read what the file really is."""
    with open(path, "rb") as f:
        head = f.read(8)
    if head.startswith(OLE_MAGIC):
        return read_ole(path)
    if head.startswith(ZIP_MAGIC):
        return read_ooxml(path)
    if head.startswith(b"{\\rtf") and extension(path) == ".doc":
        return read_with_libreoffice(path, "txt:Text (encoded):UTF8", read_text_file, "rtf")  # RTF saved as .doc
    if not head.strip():
        raise LoadError("empty", "the file is empty")
    raise LoadError("corrupt", f"not a {extension(path)} file: neither an Office 97-2003 (OLE) nor an Office Open XML (zip) document")


def read_ole(path: str) -> str:
    """Office 97-2003 files, and encrypted OOXML files (which are OLE containers too)."""
    import olefile

    try:
        with olefile.OleFileIO(path) as ole:
            streams = {"/".join(entry) for entry in ole.listdir()}
    except Exception as exc:
        raise LoadError("corrupt", f"broken Office 97-2003 (OLE) file: {describe(exc, path)}") from None
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams or ole_encrypted(path):
        raise LoadError("encrypted", "the document is protected by a password; remove the password and sync again")
    if "WordDocument" in streams:
        return read_word97(path)
    if "Workbook" in streams or "Book" in streams:
        return read_xls(path)
    if "PowerPoint Document" in streams:
        return read_ppt(path)
    raise LoadError("corrupt", "an OLE container that holds no Word, Excel or PowerPoint document")


def ole_encrypted(path: str) -> bool:
    """msoffcrypto reads the encryption flag of .doc/.xls/.ppt; a file it cannot parse is left to the reader."""
    import msoffcrypto

    try:
        with open(path, "rb") as f:
            return bool(msoffcrypto.OfficeFile(f).is_encrypted())
    except Exception:
        return False


def read_ooxml(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise LoadError("corrupt", f"the file is not a complete zip archive (truncated or damaged): {exc}") from None
    if "word/document.xml" in names:
        return read_docx(path)
    if "xl/workbook.xml" in names:
        return read_xlsx(path)
    if "ppt/presentation.xml" in names:
        return read_pptx(path)
    raise LoadError("corrupt", "a zip archive that holds no Word, Excel or PowerPoint document")


# --- Word --------------------------------------------------------------------------------

def read_docx(path: str) -> str:
    """Paragraphs and tables in document order (nested tables too), then headers and footers once."""
    import docx

    document = docx.Document(path)
    blocks = [block_text(block) for block in document.iter_inner_content()]
    return "\n".join(blocks + header_footer_lines(document))


def block_text(block: Any) -> str:
    from docx.table import Table

    if isinstance(block, Table):
        return table_text(block)
    return block.text


def table_text(table: Any) -> str:
    """One line per row; a merged cell (repeated by python-docx) is written once."""
    lines = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(" ".join(block_text(b) for b in cell.iter_inner_content()))
        lines.append(row_line(cells))
    return "\n".join(lines)


def header_footer_lines(document: Any) -> list[str]:
    lines: list[str] = []
    for section in document.sections:
        for part in (section.header, section.footer):
            for block in part.iter_inner_content():
                text = block_text(block)
                if text.strip() and text not in lines:
                    lines.append(text)
    return lines


_HYPERLINK_FIELD = re.compile(r' ?HYPERLINK(?:\s+\\[a-z])*(?:\s+"[^"]*")?(?:\s+\\[a-z](?:\s+"[^"]*")?)*\s')


def read_word97(path: str) -> str:
    """catdoc reads nearly every .doc (antiword refuses some); LibreOffice reads the rest."""
    if shutil.which("catdoc"):
        code, out, _ = run_tool(["catdoc", "-d", "utf-8", "-w", os.path.abspath(path)], TOOL_TIMEOUT_S)
        text = _HYPERLINK_FIELD.sub(" ", out.decode("utf-8", errors="replace"))
        if code == 0 and text.strip():
            return text
    if not libreoffice():
        raise LoadError("unreadable", f"reading .doc files needs catdoc or LibreOffice, and neither could read this one "
                                      f"(install them: {INSTALL_HINT})")
    return read_with_libreoffice(path, "txt:Text (encoded):UTF8", read_text_file, "doc")


# --- PowerPoint ------------------------------------------------------------------------------

def read_ppt(path: str) -> str:
    """catppt first (fast); the files it prints nothing for go through LibreOffice -> .pptx."""
    if shutil.which("catppt"):
        code, out, _ = run_tool(["catppt", "-d", "utf-8", os.path.abspath(path)], TOOL_TIMEOUT_S)
        text = out.decode("utf-8", errors="replace")
        if code == 0 and text.strip():
            return text
    if not libreoffice():
        raise LoadError("unreadable", f"reading this .ppt file needs LibreOffice (catppt found no text in it); "
                                      f"install catdoc and LibreOffice: {INSTALL_HINT}")
    return read_with_libreoffice(path, "pptx", read_pptx, "ppt")


def read_pptx(path: str) -> str:
    """Per slide: text frames, text boxes, tables and grouped shapes, then the speaker notes."""
    from pptx import Presentation

    slides = []
    for slide in Presentation(path).slides:
        parts = list(shape_texts(slide.shapes))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            parts.append(slide.notes_slide.notes_text_frame.text)
        slides.append("\n".join(part for part in parts if part.strip()))
    return "\n\n".join(slides)


def shape_texts(shapes: Any) -> Iterator[str]:
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    for shape in shapes:
        if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
            yield from shape_texts(shape.shapes)
        elif shape.has_text_frame:
            yield shape.text_frame.text
        elif getattr(shape, "has_table", False):
            yield "\n".join(row_line([cell.text for cell in row.cells]) for row in shape.table.rows)


# --- Excel -------------------------------------------------------------------------------------

def read_xlsx(path: str) -> str:
    """Every worksheet: its name as a heading, then its rows (cached formula values)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return "\n\n".join(sheet_text(sheet.title, sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    finally:
        book.close()


def read_xls(path: str) -> str:
    import xlrd

    try:
        book = xlrd.open_workbook(path, on_demand=True)
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise LoadError("encrypted", "the workbook is protected by a password; remove the password and sync again") from None
        raise LoadError("corrupt", f"the .xls file could not be read: {describe(exc, path)}") from None
    try:
        sheets = []
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            rows = ([xls_value(cell, book.datemode) for cell in sheet.row(r)] for r in range(sheet.nrows))
            sheets.append(sheet_text(sheet.name, rows))
        return "\n\n".join(sheets)
    finally:
        book.release_resources()


def xls_value(cell: Any, datemode: int) -> Any:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return xlrd.xldate.xldate_as_datetime(cell.value, datemode)
        except (xlrd.xldate.XLDateError, OverflowError, ValueError):
            return cell.value
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERROR")
    return cell.value


def sheet_text(name: str, rows: Any) -> str:
    lines = [row_line(list(row)) for row in rows]
    return "\n".join([f"## {name}"] + [line for line in lines if line])


# --- external tools -------------------------------------------------------------------------------

def run_tool(argv: list[str], timeout: float) -> tuple[int, bytes, bytes]:
    """Run a converter without a shell; on timeout its whole process group is killed."""
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)
    except OSError as exc:
        raise LoadError("unreadable", f"could not start {os.path.basename(argv[0])}: {exc}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise LoadError("unreadable", f"{os.path.basename(argv[0])} did not finish within {timeout:.0f} s") from None
    return proc.returncode, out, err


def libreoffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def read_with_libreoffice(path: str, target: str, read: Callable[[str], str], kind: str) -> str:
    """Convert with headless LibreOffice (its own profile: parallel conversions do not collide), then read."""
    soffice = libreoffice()
    if not soffice:
        raise LoadError("unreadable", f"reading this {kind} file needs LibreOffice ({INSTALL_HINT})")
    with tempfile.TemporaryDirectory(prefix="easymaker-soffice-") as tmp:
        out_dir = Path(tmp, "out")
        argv = [soffice, f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless", "--norestore",
                "--nolockcheck", "--convert-to", target, "--outdir", str(out_dir), os.path.abspath(path)]
        code, out, err = run_tool(argv, LIBREOFFICE_TIMEOUT_S)
        produced = sorted(out_dir.glob("*")) if out_dir.is_dir() else []
        if not produced:  # LibreOffice exits 0 even when it could not load the file
            detail = last_line(err) or last_line(out) or f"exit status {code}"
            raise LoadError("corrupt", f"LibreOffice could not convert the {kind} file: {detail}")
        return read(str(produced[0]))


def last_line(data: bytes) -> str:
    lines = [line for line in data.decode("utf-8", errors="replace").splitlines()
             if line.strip() and "javaldx" not in line]  # the Java warning is noise, not the cause
    return lines[-1].strip() if lines else ""


READERS: dict[str, Callable[[str], str]] = {
    ".txt": read_text_file, ".text": read_text_file, ".md": read_text_file,
    ".csv": read_csv,
    ".pdf": read_pdf,
    ".doc": read_office, ".docx": read_office,
    ".xls": read_office, ".xlsx": read_office,
    ".ppt": read_office, ".pptx": read_office,
}
