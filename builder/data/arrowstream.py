"""Parsing a CSV with pyarrow's streaming reader, a byte range per thread.

A large file is cut at line breaks into byte ranges (two per core), each streamed on its own thread, so the
parse uses every core at a streaming reader's memory.  ``builder.data.csvio`` decides when to use it and
turns what goes wrong into messages.
"""

from __future__ import annotations

import io
from pathlib import Path

from .parallel import release_memory

NULL_VALUES = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
               "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]

STREAM_BLOCK = 2**20
WIDE_COLUMNS = 500           # from this many columns, a table is "wide": kept in few blocks, profiled as one
WIDE_BLOCK = 16 * 2**20      # a wide table's rows are long: 1 MB blocks of a few rows cost 3-4x the parse
SPLIT_BYTES = 32 * 2**20     # files from this size are parsed in byte ranges, two per core
SCHEMA_BYTES = 4 * 2**20     # a split file's column types come from its first 4 MB (thousands of rows)


def stream(source, delimiter: str, encoding: str, size: int, split: bool = True, wide: bool = False):
    """Parse with pyarrow block by block: about half the peak memory of a whole-file read.

    A large file is cut at line breaks into byte ranges (two per core), each
    streamed on its own thread (one streaming reader parses on one core), so
    the parse uses every core at a streaming reader's memory.  Column types
    are inferred from the first block; a later block or range that does not
    fit raises, and the caller reads the file again another way.
    """
    import pyarrow as pa

    ranges = _ranges(source, size) if split else [(0, size)]
    block = WIDE_BLOCK if wide else STREAM_BLOCK
    if len(ranges) == 1:
        first = open_range(source, delimiter, encoding, *ranges[0], None, block)
        table = pa.Table.from_batches(list(first), schema=first.schema)
        del first
    else:
        from concurrent.futures import ThreadPoolExecutor

        # Types come from the file's first lines, read once up front, so that every range (the first too)
        # starts at once: inferring them from the first range's 16 MB block left the other cores idle.
        schema = open_range(source, delimiter, encoding, 0, ranges[0][1], None, SCHEMA_BYTES).schema

        def read(k: int):
            reader = open_range(source, delimiter, encoding, *ranges[k], schema, block, header=k == 0)
            return pa.Table.from_batches(list(reader), schema=schema)

        with ThreadPoolExecutor(len(ranges)) as pool:
            parts = list(pool.map(read, range(len(ranges))))
        table = pa.concat_tables(parts)
        del parts
    try:
        # split_blocks frees each Arrow column once converted (a lower peak for long files); a wide table
        # (thousands of columns) stays one block per type instead, or every column lookup gets slow.
        return table.to_pandas(split_blocks=table.num_columns < WIDE_COLUMNS, self_destruct=True)
    finally:
        del table
        if size >= SPLIT_BYTES:
            release_memory()   # the parser's freed blocks


def _ranges(source, size: int) -> list[tuple[int, int]]:
    """(start, end) byte ranges that each end after a line break; one range for small files."""
    import pyarrow as pa

    n = min(2 * pa.cpu_count(), size // SPLIT_BYTES)   # two per core: ranges that end early leave no core idle
    cuts = [0]
    for k in range(1, n):
        cut = _line_end(source, size * k // n)
        if cut is None or cut <= cuts[-1] or cut >= size:
            break
        cuts.append(cut)
    return list(zip(cuts, cuts[1:] + [size]))


def _line_end(source, offset: int) -> int | None:
    """The position just after the first b"\\n" at or after ``offset``, or None."""
    for start in range(offset, offset + 4 * 2**20, 64 * 1024):
        chunk = _read_bytes(source, start, 64 * 1024)
        if not chunk:
            return None
        at = chunk.find(b"\n")
        if at >= 0:
            return start + at + 1
    return None


def _read_bytes(source, start: int, n: int) -> bytes:
    if isinstance(source, io.BytesIO):
        return source.getbuffer()[start:start + n].tobytes()
    with open(source, "rb") as f:
        f.seek(start)
        return f.read(n)


class _Range(io.RawIOBase):
    """Bytes ``start`` to ``end`` of a file, as a stream pyarrow can read."""

    def __init__(self, path, start: int, end: int):
        self._file = open(path, "rb")
        self._file.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self._file.readinto(memoryview(buffer)[:self._left]) if self._left else 0
        self._left -= n
        if not n:
            self._file.close()   # pyarrow reads to the end and then lets go of the stream
        return n

    def close(self) -> None:
        self._file.close()
        super().close()


def open_range(source, delimiter: str, encoding: str, start: int, end: int, schema, block: int = STREAM_BLOCK,
               header: bool = False):
    """A streaming reader of one byte range, given the column names and types (``schema``) or inferring them
    from its first block; ``header``: the range starts with the header line, which is skipped."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if isinstance(source, io.BytesIO):
        source.seek(0)
        stream = pa.BufferReader(pa.py_buffer(source.getbuffer()[start:end])) if start or end < len(source.getbuffer()) \
            else source
    elif start == 0 and end >= file_size(source):
        stream = str(source)
    else:
        stream = _Range(source, start, end)
    read = dict(block_size=block, encoding=encoding)
    convert = dict(strings_can_be_null=True, null_values=NULL_VALUES)
    if schema is not None:
        read.update(column_names=schema.names, skip_rows=int(header))
        convert["column_types"] = schema
    return pacsv.open_csv(stream, read_options=pacsv.ReadOptions(**read),
                          parse_options=pacsv.ParseOptions(delimiter=delimiter),
                          convert_options=pacsv.ConvertOptions(**convert))


def file_size(path) -> int:
    return Path(path).stat().st_size


# pandas' default missing-value markers, so both parsers agree.
