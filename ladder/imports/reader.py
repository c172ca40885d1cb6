"""Reading uploaded files: format, encoding and delimiter detection, headers, samples, and
streaming the rows in polars frames of bounded size.

Nothing here holds a whole file in memory: detection looks at the first megabyte, non-UTF-8
CSV is transcoded to a UTF-8 copy in chunks, polars reads CSV in streaming batches, and XLSX is
read through openpyxl's read-only (streaming) mode.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from django.core.exceptions import ValidationError

SNIFF_BYTES = 1 << 20
SAMPLE_ROWS = 10
DELIMITERS = (",", "\t", ";", "|")
# charset-normalizer calls most cp1252 files cp1250, cp775 or mac_roman: Western text fits many
# single-byte code pages. US and European exports are overwhelmingly cp1252, so its guess is
# only trusted when it names a script cp1252 cannot be (Cyrillic, Greek, Hebrew, Arabic, Thai,
# the East Asian encodings).
_NON_LATIN = (
    "cp1251", "koi8", "cp866", "cp855", "iso8859_5", "mac_cyrillic", "cp1253", "iso8859_7",
    "mac_greek", "cp1255", "iso8859_8", "cp862", "cp1256", "iso8859_6", "cp720", "cp864",
    "shift_jis", "euc_j", "cp932", "iso2022", "gb2312", "gbk", "gb18030", "hz", "big5",
    "cp949", "euc_kr", "cp950", "johab", "tis_620", "cp874", "utf_16", "utf_32",
)  # fmt: skip
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FOREIGN_SIGNATURES = {
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file; save it as .xlsx or CSV",
    b"%PDF": "a PDF; export the data as CSV or XLSX",
    b"\x1f\x8b": "a compressed (gzip) file; unpack it first",
    b"Rar!": "a RAR archive; unpack it first",
}
_LOOKS_LIKE_DATA = re.compile(r"^\s*([^@\s]+@[^@\s]+\.[a-z]{2,}|[\d\s().+-]{7,}|\d+)\s*$", re.I)


@dataclass
class FileInfo:
    format: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ""
    headers: list[str] = field(default_factory=list)
    sample: list[list[str]] = field(default_factory=list)
    estimated_rows: int = 0


def sniff(path: Path) -> FileInfo:
    """Detect what the file is and read its header and first rows; ValidationError if it
    cannot be imported (empty, no header, unknown format)."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if not head.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        raise ValidationError("The file is empty.")
    if head.startswith(b"PK\x03\x04"):
        return _sniff_xlsx(path)
    for signature, what in _FOREIGN_SIGNATURES.items():
        if head.startswith(signature):
            raise ValidationError(f"This looks like {what}.")
    encoding = detect_encoding(head)
    text = _decode_head(head, encoding)
    if "\x00" in text:
        raise ValidationError("This is not a text file; upload CSV or XLSX.")
    delimiter = detect_delimiter(text)
    lines = io.StringIO(_complete_lines(text, len(head) < SNIFF_BYTES), newline="")
    rows = list(csv.reader(lines, delimiter=delimiter))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ValidationError("The file is empty.")
    headers = clean_headers(rows[0])
    sample = [_pad(r, len(headers)) for r in rows[1 : SAMPLE_ROWS + 1]]
    if not sample:
        raise ValidationError("The file has column names but no rows to import.")
    size = path.stat().st_size
    sampled = len(text.encode(encoding if encoding != "utf-8-sig" else "utf-8", "replace"))
    per_row = max(1, sampled // max(1, len(rows)))
    return FileInfo(
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        sample=sample,
        estimated_rows=max(len(rows) - 1, size // per_row),
    )


def detect_encoding(head: bytes) -> str:
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(head[: 256 * 1024]).best()
    guess = codecs.lookup(best.encoding).name.replace("-", "_") if best else ""
    if guess.startswith(_NON_LATIN):
        return guess
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte; the five bytes cp1252 leaves undefined are rare


def _decode_head(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=len(head) < SNIFF_BYTES)
    return text.lstrip("\ufeff")


def _complete_lines(text: str, whole_file: bool) -> str:
    """Drop a last line cut off by the sniffing window, so it is not taken for a short row."""
    if whole_file:
        return text
    cut = max(text.rfind("\n"), text.rfind("\r"))
    return text[:cut] if cut > 0 else text


def detect_delimiter(text: str) -> str:
    """The candidate that splits the header line most often, consistently on the next lines."""
    lines = [line for line in re.split(r"\r\n|\n|\r", text[:65536]) if line.strip()][:20]
    if not lines:
        return ","
    best, best_score = ",", 0
    for candidate in DELIMITERS:
        counts = [_count_outside_quotes(line, candidate) for line in lines]
        if not counts[0]:
            continue
        consistent = sum(1 for c in counts[1:] if c == counts[0])
        score = counts[0] * 10 + consistent
        if score > best_score:
            best, best_score = candidate, score
    return best


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def clean_headers(raw: list[Any]) -> list[str]:
    """Trimmed, non-empty, unique header names; ValidationError if the first row is data."""
    headers: list[str] = []
    seen: dict[str, int] = {}
    names = [str(c if c is not None else "").strip().lstrip("\ufeff").strip() for c in raw]
    while names and not names[-1]:
        names.pop()
    if not any(names):
        raise ValidationError("The first row is empty: the file needs a header row.")
    data_like = [n for n in names if n and _LOOKS_LIKE_DATA.match(n)]
    if data_like and len(data_like) * 2 >= len([n for n in names if n]):
        raise ValidationError(
            f"The first row looks like data (“{data_like[0]}”), not column names. "
            "Add a header row naming each column."
        )
    for i, name in enumerate(names, start=1):
        name = name or f"Column {i}"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 1)
        headers.append(name)
    return headers


def _pad(row: list[Any], width: int) -> list[str]:
    cells = [cell_text(c) or "" for c in row[:width]]
    return cells + [""] * (width - len(cells))


def cell_text(value: Any) -> str | None:
    """A spreadsheet cell as the text a person would have typed. Formulas stay text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


# --- XLSX ----------------------------------------------------------------------------------


def _open_xlsx(path: Path) -> Any:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell reads as its formula text, never evaluated.
        return load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds of error for a broken file
        raise ValidationError(f"This spreadsheet cannot be read ({exc}).") from None


def _xlsx_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    book = _open_xlsx(path)
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _sniff_xlsx(path: Path) -> FileInfo:
    rows: list[tuple[Any, ...]] = []
    header: tuple[Any, ...] | None = None
    book = _open_xlsx(path)
    try:
        if not book.worksheets:
            raise ValidationError("The spreadsheet has no sheets.")
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            if header is None:
                if any(cell_text(c) for c in row):
                    header = row
                continue
            if any(cell_text(c) for c in row):
                rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
        max_row = sheet.max_row or 0
    finally:
        book.close()
    if header is None:
        raise ValidationError("The file is empty.")
    headers = clean_headers(list(header))
    if not rows:
        raise ValidationError("The file has column names but no rows to import.")
    return FileInfo(
        format="xlsx",
        headers=headers,
        sample=[_pad(list(r), len(headers)) for r in rows],
        estimated_rows=max(len(rows), max_row - 1),
    )


# --- streaming ----------------------------------------------------------------------------


def utf8_copy(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a CSV in another encoding, written in 1 MB chunks. Old Mac line ends
    (CR alone) become newlines so that polars sees rows."""
    if encoding in ("utf-8", "ascii"):
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        if b"\n" in head or b"\r" not in head:
            return path
    target = path.with_name(path.name + ".utf8.csv")
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        cr_only: bool | None = None
        while chunk := src.read(SNIFF_BYTES):
            text = decoder.decode(chunk)
            if cr_only is None and text:
                cr_only = "\r" in text and "\n" not in text
            dst.write(text.replace("\r", "\n") if cr_only else text)
        dst.write(decoder.decode(b"", final=True))
    return target


def iter_frames(
    path: Path, *, file_format: str, encoding: str, delimiter: str, width: int, chunk_rows: int
) -> Iterator[pl.DataFrame]:
    """The data rows as frames of ``chunk_rows`` rows: ``row_number`` (the spreadsheet row;
    the header is row 1) and string columns ``c0`` … ``c{width-1}``."""
    if file_format == "xlsx":
        yield from _xlsx_frames(path, width=width, chunk_rows=chunk_rows)
        return
    source = utf8_copy(path, encoding)
    schema = {f"c{i}": pl.String for i in range(width)}
    frame = pl.scan_csv(
        source,
        has_header=False,
        skip_rows=1,
        separator=delimiter or ",",
        schema=schema,
        infer_schema=False,
        truncate_ragged_lines=True,
        encoding="utf8-lossy",
        quote_char='"',
        raise_if_empty=False,
        missing_columns="insert",  # a short row gets NULLs, like a spreadsheet's empty cells
    ).with_row_index("row_number", offset=2)
    try:
        for chunk in frame.collect_batches(chunk_size=chunk_rows):
            yield chunk.with_columns(pl.col("row_number").cast(pl.Int64))
    except pl.exceptions.PolarsError as exc:
        raise ValidationError(f"The file could not be read as CSV: {exc}") from None
    finally:
        if source != path:
            source.unlink(missing_ok=True)


def _xlsx_frames(path: Path, *, width: int, chunk_rows: int) -> Iterator[pl.DataFrame]:
    columns: list[list[str | None]] = [[] for _ in range(width)]
    numbers: list[int] = []
    header_seen = False
    for number, row in enumerate(_xlsx_rows(path), start=1):
        if not header_seen:
            header_seen = any(cell_text(c) for c in row)
            continue
        for i in range(width):
            columns[i].append(cell_text(row[i]) if i < len(row) else None)
        numbers.append(number)
        if len(numbers) >= chunk_rows:
            yield _frame(numbers, columns)
            columns, numbers = [[] for _ in range(width)], []
    if numbers:
        yield _frame(numbers, columns)


def _frame(numbers: list[int], columns: list[list[str | None]]) -> pl.DataFrame:
    data: dict[str, Any] = {"row_number": pl.Series(numbers, dtype=pl.Int64)}
    for i, values in enumerate(columns):
        data[f"c{i}"] = pl.Series(values, dtype=pl.String)
    return pl.DataFrame(data)
