"""Reading a CSV a user uploads: detection, checks with one clear message each, then profiling.

The file is parsed by pyarrow's streaming reader (a large file in byte ranges
cut at line breaks, a thread each, so every core parses at a streaming
reader's memory; text columns stay in Arrow memory); files pyarrow cannot
parse that way are read again in one piece, and files pyarrow cannot parse
at all (for example quoted fields with line breaks) go through pandas' C
engine instead.
Everything a user can get wrong becomes one ``DataError`` that says what is
wrong and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from pathlib import Path

from ..errors import DataError
from .arrowstream import SPLIT_BYTES, WIDE_COLUMNS, stream
from .dataset import Dataset
from .parallel import PARALLEL_ROWS, map_columns, release_memory, row_sample
from .profile import MOSTLY, numeric_junk, profile_frame

MAX_BYTES = 200 * 2**20
SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
BINARY_MAGIC = {
    b"PK\x03\x04": "a zip archive (an .xlsx workbook is one)",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) workbook",
    b"%PDF": "a PDF",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"PAR1": "a Parquet file",
}
SAVE_AS_CSV = "Open it in a spreadsheet and save it as CSV (comma-separated values, UTF-8)."


def read_csv(data: bytes | str | Path, name: str | None = None, max_bytes: int = MAX_BYTES,
             on_junk: str = "missing") -> Dataset:
    """Read, check and profile a CSV file with a header row.

    Args:
        data: the file's bytes, a path, or CSV text (a str with a line break).
        name: the file name to show to users (default: the path's name, or "upload.csv").
        max_bytes: files larger than this are refused (a setting; 200 MB by default).
        on_junk: what to do with a few non-numbers in a mostly numeric column:
            ``"missing"`` treats them as missing and says so in ``Dataset.warnings``;
            ``"error"`` raises DataError.

    Raises:
        DataError: one message saying what is wrong with the file and what to do.

    Example:
        >>> ds = read_csv(b"size,colour\\n1.5,red\\n2.5,blue\\n4.0,red\\n")
        >>> [(p.name, p.kind) for p in ds.profile]
        [('size', 'numeric'), ('colour', 'binary')]
    """
    name = name or (Path(data).name if isinstance(data, (str, Path)) and not _is_text(data) else "upload.csv")
    source, size, label = _source(data, name)
    if size > max_bytes:
        over = _size(size) if _size(size) != _size(max_bytes) else f"{size:,} bytes, just over"
        raise DataError(f"{label} is {over}; the limit is {_size(max_bytes)}. "
                        "Upload a sample of the rows, or raise the limit in the settings.")
    head = _head(source)
    _check_not_empty(head, label)
    _check_not_binary(head, label)
    encoding = detect_encoding(head)
    text = head.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(text)
    header = _header(text, delimiter)
    _check_header(header, label, delimiter)
    frame = _parse(source, delimiter, encoding, label, len(header), size)
    if encoding != "latin-1" and _undecoded_text(frame):
        # The first 64 KB were UTF-8 but a later row is not: pyarrow then keeps that column as raw
        # bytes.  Latin-1 decodes every byte, so read the file again with it.
        encoding = "latin-1"
        frame = _parse(source, delimiter, encoding, label, len(header), size)
    if len(frame) == 0:
        raise DataError(f"{label} has a header row ({', '.join(header[:5])}) but no data rows. "
                        "Upload the file with its rows.")
    if delimiter == ";":
        _read_decimal_commas(frame)
    junk, text = _clean_numeric_columns(frame, on_junk, label)
    profile = profile_frame(frame, text)
    if size >= SPLIT_BYTES:
        release_memory()
    for p in profile:
        if p.name in junk:
            p.reason += f"; {junk[p.name]}"
    return Dataset(name=Path(name).stem or "upload", kind="table", frame=frame, profile=profile,
                   source=f"{Path(name).name}: {len(frame):,} rows, {_describe(delimiter)}-separated, {encoding}",
                   warnings=[f"column {column!r}: {note}" for column, note in junk.items()])


# ------------------------------------------------------------------ source

def _size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n:,} bytes"


def _is_text(data) -> bool:
    return isinstance(data, str) and ("\n" in data or "\r" in data)


def _source(data, name: str):
    """(a path or a bytes buffer for pandas, size in bytes, how to name it in messages)."""
    if _is_text(data):
        data = data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return io.BytesIO(data), len(data), f"the file {name!r}"
    path = Path(data)
    try:
        return path, path.stat().st_size, f"the file {path.name!r}"
    except OSError as e:
        raise DataError(f"cannot read {str(path)!r}: {e.strerror}. Check the path.") from None


def _head(source) -> bytes:
    if isinstance(source, io.BytesIO):
        return source.getbuffer()[:SNIFF_BYTES].tobytes()
    try:
        with open(source, "rb") as f:
            return f.read(SNIFF_BYTES)
    except OSError as e:
        raise DataError(f"cannot read {str(source)!r}: {e.strerror}. Check the path.") from None


# ------------------------------------------------------------- detection

def detect_encoding(head: bytes) -> str:
    """utf-8-sig (byte-order mark), utf-8, or latin-1 (which decodes any bytes)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)   # a cut character at the end is fine
        return "utf-8"
    except UnicodeDecodeError:
        return "latin-1"


def detect_delimiter(text: str) -> str:
    """The candidate that splits the header into the most fields, consistently over the first lines."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if len(text) >= SNIFF_BYTES - 4 and len(lines) > 1:
        lines = lines[:-1]   # the last line may be cut off
    best, best_score = ",", (0, 0)
    for delimiter in DELIMITERS:
        counts = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if not counts or counts[0] < 2:
            continue
        score = (sum(c == counts[0] for c in counts), counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _describe(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}[delimiter]


def _header(text: str, delimiter: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter), [])
    return [c.strip() for c in first]


# ----------------------------------------------------------------- checks

def _check_not_empty(head: bytes, label: str) -> None:
    if not head.strip() or head.strip() == codecs.BOM_UTF8:
        raise DataError(f"{label} is empty. Upload a CSV file with a header row and at least one data row.")


def _check_not_binary(head: bytes, label: str) -> None:
    for magic, what in BINARY_MAGIC.items():
        if head.startswith(magic):
            raise DataError(f"{label} is {what}, not a CSV text file. {SAVE_AS_CSV}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DataError(f"{label} is saved as UTF-16 text. Save it again as CSV UTF-8.")
    if b"\x00" in head or _control_share(head) > 0.05:
        raise DataError(f"{label} is a binary file, not CSV text. {SAVE_AS_CSV}")


def _control_share(head: bytes) -> float:
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 13))
    return controls / max(1, len(sample))


def _check_header(header: list[str], label: str, delimiter: str) -> None:
    if len(header) < 2:
        only = header[0] if header else ""
        raise DataError(f"{label} has a single column ({only[:60]!r}). A model needs at least one input column "
                        "and one target column. If the values are separated by something other than a comma, "
                        "semicolon, tab or |, save the file again as comma-separated CSV.")
    seen, duplicates = set(), []
    for column in header:
        if column in seen and column not in duplicates:
            duplicates.append(column)
        seen.add(column)
    if duplicates:
        names = ", ".join(repr(d) for d in duplicates[:5])
        raise DataError(f"{label} has duplicate column names: {names}. Each column needs its own name; "
                        "rename the duplicates in the header row.")
    if all(_is_number(c) for c in header):
        raise DataError(f"the first row of {label} holds numbers ({', '.join(header[:4])}), not column names. "
                        "Add a header row that names each column.")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- parsing

_ARROW_RAGGED = re.compile(r"Expected (\d+) columns, got (\d+)")
_C_RAGGED = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")



def _parse(source, delimiter: str, encoding: str, label: str, n_columns: int, size: int):
    import pandas as pd

    wide = n_columns >= WIDE_COLUMNS
    try:
        return stream(source, delimiter, encoding, size, wide=wide)
    except (ValueError, UnicodeDecodeError):   # a cut may fall inside a quoted line break: read in one piece
        pass
    try:
        return stream(source, delimiter, encoding, size, split=False, wide=wide)
    except (ValueError, UnicodeDecodeError) as e:   # pyarrow.ArrowInvalid is a ValueError
        if _ARROW_RAGGED.search(str(e)):
            raise _ragged_error(source, delimiter, encoding, label, n_columns) from None
    try:
        return _rewind(pd.read_csv, source, sep=delimiter, encoding=encoding, engine="pyarrow")
    except (ValueError, UnicodeDecodeError) as e:   # pyarrow.ArrowInvalid is a ValueError
        ragged = _ARROW_RAGGED.search(str(e))
        if ragged:
            raise _ragged_error(source, delimiter, encoding, label, n_columns) from None
        if "UTF8" in str(e) or "utf-8" in str(e).lower():
            encoding = "latin-1"   # the first 64 KB were UTF-8, a later row is not
    try:   # pandas' C engine handles what pyarrow refuses, such as line breaks inside quotes
        return _rewind(pd.read_csv, source, sep=delimiter, encoding=encoding, engine="c", low_memory=False)
    except UnicodeDecodeError:
        return _rewind(pd.read_csv, source, sep=delimiter, encoding="latin-1", engine="c", low_memory=False)
    except pd.errors.ParserError as e:
        found = _C_RAGGED.search(str(e))
        if found:
            want, line, got = found.groups()
            raise DataError(_ragged_message(label, int(line), int(got), int(want))) from None
        raise DataError(f"{label} cannot be read as CSV: {str(e).strip().splitlines()[-1]}. "
                        f"{SAVE_AS_CSV}") from None


def _undecoded_text(frame) -> bool:
    """True when a column holds raw bytes: text that did not decode with the detected encoding."""
    for column, dtype in frame.dtypes.items():
        if dtype == object:
            first = frame[column].first_valid_index()
            if first is not None and isinstance(frame[column].at[first], bytes):
                return True
    return False


def _rewind(read, source, **kwargs):
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return read(source, **kwargs)


def _ragged_error(source, delimiter: str, encoding: str, label: str, n_columns: int) -> DataError:
    """Find the first row whose field count differs from the header's, to name its line."""
    if isinstance(source, io.BytesIO):
        source.seek(0)
        stream = io.TextIOWrapper(source, encoding=encoding, errors="replace", newline="")
    else:
        stream = open(source, encoding=encoding, errors="replace", newline="")
    with stream:
        reader = csv.reader(stream, delimiter=delimiter)
        for row in reader:
            if row and len(row) != n_columns:
                return DataError(_ragged_message(label, reader.line_num, len(row), n_columns))
    return DataError(f"{label} has rows with a different number of fields than the header ({n_columns}). "
                     "Make every row have one value per column.")


def _ragged_message(label: str, line: int, got: int, want: int) -> str:
    return (f"{label} has ragged rows: line {line} has {got} fields but the header has {want}. "
            "Make every row have one value per column (quote values that contain the separator), "
            "then upload it again.")


DECIMAL_COMMA = r"^\s*[-+]?\d{1,3}(?:\.?\d{3})*,\d+\s*$|^\s*[-+]?\d+\s*$"


def _read_decimal_commas(frame) -> None:
    """Semicolon files often write 1,5 for 1.5 (and 1.234,5 for 1234.5): read those columns as numbers."""
    import pandas as pd

    for column, dtype in frame.dtypes.items():
        if not isinstance(dtype, pd.StringDtype) and dtype != object:
            continue
        series = frame[column]
        sample = row_sample(series).dropna().astype(str)
        if len(sample) == 0 or not sample.str.contains(",", regex=False).any():
            continue
        if float(sample.str.match(DECIMAL_COMMA).mean()) >= MOSTLY:
            text = series.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            frame[column] = text     # the numeric check below turns it into numbers, junk included


def _clean_numeric_columns(frame, on_junk: str, label: str) -> tuple[dict[str, str], list[str]]:
    """Turn mostly numeric text columns into numbers, the few non-numbers into missing values.

    Returns, per column that had non-numbers, what was done in words; and the text columns that do not
    hold numbers.
    """
    import pandas as pd

    notes, text = {}, []
    columns = [column for column, dtype in frame.dtypes.items() if not (
        pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_datetime64_any_dtype(dtype))]
    if len(columns) > 1 and len(frame) >= PARALLEL_ROWS:   # checked a column per thread, used in column order
        checks = map_columns(lambda column: numeric_junk(frame[column]), columns)
    else:
        checks = [numeric_junk(frame[column]) for column in columns]
    for column, junk in zip(columns, checks):
        series = frame[column]
        if junk is None:
            text.append(column)
            continue
        count, examples = junk
        if count and on_junk == "error":
            raise DataError(f"column {column!r} of {label} holds numbers except for {count:,} value(s) such as "
                            f"{examples}. Fix or delete those values, or let them count as missing.")
        frame[column] = pd.to_numeric(series, errors="coerce")
        if count:
            notes[column] = (f"{count:,} value(s) that are not numbers (such as {examples}) are treated as missing. "
                             "Fix them in the file if they are real values.")
    return notes, text
