"""Reading a panel file: CSV (pyarrow's fast reader, or the careful reader that reports every
irregular line) or Parquet, with refusals for spreadsheets, binary files and text that is not UTF-8.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from evallib.data.checks import _Collector
from evallib.data.parse import _cut
from evallib.errors import TooLargeError
from evallib.schema import (
    LOAD_BYTES_PER_ROW,
    MAX_COLUMNS,
    MAX_VALUE_LENGTH,
    MEMORY_CHECK_ENV,
    PARQUET_FLOOR_BYTES,
    PARQUET_MAX_CELLS_PER_BYTE,
    PARQUET_MAX_EXPANSION,
)

# A Parquet footer (the metadata, read before any data) larger than this is refused unread: a
# panel of MAX_COLUMNS columns needs a few hundred bytes per column and row group.
_MAX_FOOTER_BYTES = 64 * 2**20


def file_sha256(path: str | Path) -> str:
    """SHA-256 fingerprint of a file (for the reproducibility page)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _normalise_header(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().lower())


def _refuse_binary(raw: bytes, col: _Collector) -> None:
    """Recognise files that are not CSV text; adds a problem and raises."""
    if raw[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(raw)).namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/") for n in names):
            what = "an Excel workbook (.xlsx), not a CSV file"
        elif "content.xml" in names:
            what = "an OpenDocument spreadsheet (.ods), not a CSV file"
        else:
            what = "a ZIP archive, not a CSV file"
        col.add(None, (), f"this is {what}",
                "a CSV file: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)' (or 'CSV (semicolon)')")
    elif raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        col.add(None, (), "this is an old Excel workbook (.xls), not a CSV file",
                "a CSV file: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
    elif raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        col.add(None, (), "the file is saved as UTF-16 (Excel's 'Unicode text'), not as UTF-8",
                "a CSV file saved as UTF-8: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
    elif raw[:2] == b"\x1f\x8b":
        col.add(None, (), "this is a gzip-compressed file", "an uncompressed CSV file, or Parquet")
    elif b"\x00" in raw[:4096]:
        col.add(None, (), "this is a binary file, not a text CSV file", "a CSV file saved as UTF-8, or Parquet")
    col.raise_if_any()


def _decode(raw: bytes, col: _Collector) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad = [i for i in range(len(raw)) if raw[i] >= 0x80]
        lines = sorted({raw[:i].count(b"\n") + 1 for i in bad[:200]})
        guess = raw[exc.start:exc.start + 1].decode("cp1252", errors="replace")
        col.add(None, lines or (line,),
                f"the file is not UTF-8: byte {raw[exc.start]:#04x} (probably '{guess}' in Windows-1252/ANSI)",
                "a CSV file saved as UTF-8: in Excel use 'Save as' > 'CSV UTF-8 (comma delimited)'")
        col.raise_if_any()
    raise AssertionError("unreachable")  # pragma: no cover


def _refuse_bad_header(raw: bytes, col: _Collector) -> None:
    """Refuse a CSV file whose header has more than MAX_COLUMNS fields or a name longer than
    MAX_VALUE_LENGTH characters, from its first line (or the line after Excel's "sep=" line)
    only, before any work per column: a header of a million columns is refused in milliseconds."""
    end = raw.find(b"\n")
    first = raw[: end if end >= 0 else len(raw)]
    if re.match(rb"^\s*sep=.\s*$", first) and end >= 0:
        nxt = raw.find(b"\n", end + 1)
        first = raw[end + 1: nxt if nxt >= 0 else len(raw)]
    expected = f"at most {MAX_COLUMNS} columns (the data dictionary has 15), each named in at most " \
               f"{MAX_VALUE_LENGTH} characters"
    fields = max(first.count(d) for d in (b";", b",", b"\t")) + 1  # at least the header's fields
    if fields > MAX_COLUMNS or len(first) > MAX_COLUMNS * (MAX_VALUE_LENGTH + 3):
        what = f"has {fields:,} columns" if fields > MAX_COLUMNS else f"line is {len(first):,} bytes long"
        col.add(None, (1,), f"the header {what}", expected)
        col.raise_if_any()
    text = first.decode("utf-8", errors="replace")
    try:
        names = next(csv.reader([text], delimiter=_delimiter(text)), [])  # quoted separators do not count
    except csv.Error:  # e.g. a stray carriage return: the readers report the line itself
        names = text.split(_delimiter(text))
    longest = max((len(n) for n in names), default=0)
    if longest > MAX_VALUE_LENGTH:
        col.add(None, (1,), f"a column name of {longest:,} characters (not shown)", expected)
        col.raise_if_any()


def _available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux: MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def memory_check_off() -> bool:
    """Whether ``EVALLIB_MEMORY_CHECK`` switches the memory checks off (off, 0, no, false): the
    loader's and the run's (`check_fits`), and the run's budget for pilots side by side."""
    return os.environ.get(MEMORY_CHECK_ENV, "").strip().lower() in ("off", "0", "no", "false")


# Every row of a panel CSV holds at least 8 required fields, 7 separators and a line break: the
# file's size over this bounds its rows from above without reading it
_MIN_CSV_ROW_BYTES = 16


def panel_rows(path: str | Path) -> int | None:
    """The rows of a panel file without reading its values: a Parquet file's footer, a CSV file's
    line breaks (minus the header; read in blocks, never held whole). None for a file that cannot
    be read so: the reader reports it."""
    path = Path(path)
    try:
        if not path.is_file():  # a FIFO or a device would block or never end
            return None
        with open(path, "rb") as fh:
            if fh.read(4) == b"PAR1":
                import pyarrow.parquet as pq

                return int(pq.read_metadata(path).num_rows)
            fh.seek(0)
            lines, last = 0, b"\n"
            for block in iter(lambda: fh.read(1 << 24), b""):
                lines += block.count(b"\n")
                last = block[-1:]
            return max(lines + (last != b"\n") - 1, 0)
    except Exception:  # noqa: BLE001 -- missing, unreadable or corrupt: the reader says what and where
        return None


def check_fits(path: str | Path, *, per_row: int = LOAD_BYTES_PER_ROW, doing: str = "loading it",
               available: int | None = None) -> None:
    """Refuse a panel too large for this machine's memory before reading it (`TooLargeError`):
    its rows (`panel_rows`) times ``per_row`` bytes (`evallib.schema.LOAD_BYTES_PER_ROW` for the
    loader, `~evallib.schema.RUN_BYTES_PER_ROW` for a whole run), plus a CSV file's own size (the
    reader holds its bytes), against the memory available (``available``: by default Linux's
    MemAvailable; nothing is refused where it is unknown, or with ``EVALLIB_MEMORY_CHECK=off``).

    Without this, such a panel is read until the system kills the process: no message, and at
    500 million rows only after minutes. A CSV is counted only when its size allows more rows
    than fit (at least 16 bytes a row), so an ordinary file costs a ``stat`` and four bytes read."""
    if memory_check_off():
        return
    memory = _available_memory() if available is None else available
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO would block open(); the reader refuses it by name
            return
        size = info.st_size
        with open(path, "rb") as fh:
            parquet = fh.read(4) == b"PAR1"
    except OSError:  # the reader reports it, with the file's name
        return
    if memory is None or (not parquet and size + size // _MIN_CSV_ROW_BYTES * per_row <= memory):
        return
    # a corrupt footer or a decompression "bomb" is called so (DataError), not too large; the
    # footer that rule reads gives the rows
    rows = (_check_parquet_metadata(path, size, _Collector(str(path)), memory_rule=False) if parquet
            else panel_rows(path))
    if rows is None:
        return
    need = rows * per_row + (0 if parquet else size)
    if need > memory:
        raise TooLargeError(
            f"{path}: {rows:,} rows; {doing} needs about {need / 1e9:,.1f} GB of memory ({per_row} bytes a row"
            f"{'' if parquet else ' and the file itself'}, measured at 12 million rows) and {memory / 1e9:,.1f} GB "
            "are available. Check a panel this size without loading it: evallib validate --engine duckdb; "
            "its estimates without loading it: evallib estimate --pilot NAME --engine duckdb "
            f"(docs/engine.md); to try anyway, set {MEMORY_CHECK_ENV}=off")


def _check_parquet_metadata(path: Path, size: int, col: _Collector, *, memory_rule: bool = True) -> int:
    """Refuse a Parquet file from its footer, before reading any data: more than MAX_COLUMNS
    columns, or more data than the file's size can hold honestly (a decompression "bomb"),
    or more than the memory available. O(row groups): the footer only.

    The rule (data/README.md, "Limits"): refused when the decompressed size (the row groups'
    ``total_byte_size``) exceeds ``max(PARQUET_MAX_EXPANSION x file size, PARQUET_FLOOR_BYTES)``,
    or rows x columns x 8 bytes exceeds ``max(8 x PARQUET_MAX_CELLS_PER_BYTE x file size,
    PARQUET_FLOOR_BYTES)``, or either exceeds the memory available (not with ``memory_rule``
    False: `check_fits` asks for the structural rules first, so that a "bomb" is called one).
    Returns the file's number of rows (from the footer) when it is not refused.
    """
    import pyarrow.parquet as pq

    with open(path, "rb") as fh:
        fh.seek(max(size - 8, 0))
        tail = fh.read(8)
    footer = int.from_bytes(tail[:4], "little") if len(tail) == 8 and tail[4:] == b"PAR1" else 0
    if footer > _MAX_FOOTER_BYTES:
        col.add(None, (), f"the Parquet metadata (footer) is {footer:,} bytes",
                f"at most {_MAX_FOOTER_BYTES:,} bytes of metadata (at most {MAX_COLUMNS} columns)")
        col.raise_if_any()
    try:
        meta = pq.read_metadata(path)
    except Exception as exc:  # pyarrow raises many exception types for corrupt files
        col.add(None, (), f"not a readable Parquet file ({type(exc).__name__}: {_cut(str(exc))})",
                "a complete, valid Parquet file")
        col.raise_if_any()
    longest = max((len(n) for n in meta.schema.names), default=0)
    if meta.num_columns > MAX_COLUMNS or longest > MAX_VALUE_LENGTH:
        what = f"{meta.num_columns:,} columns" if meta.num_columns > MAX_COLUMNS else \
            f"a column name of {longest:,} characters (not shown)"
        col.add(None, (), f"the file has {what}", f"at most {MAX_COLUMNS} columns (the data dictionary has 15), "
                f"each named in at most {MAX_VALUE_LENGTH} characters")
        col.raise_if_any()
    decompressed = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    cells = meta.num_rows * max(meta.num_columns, 1) * 8
    memory = _available_memory()
    reasons = []
    if decompressed > max(PARQUET_MAX_EXPANSION * size, PARQUET_FLOOR_BYTES):
        reasons.append(f"decompresses to {decompressed:,} bytes, {decompressed / max(size, 1):,.0f} times its "
                       f"size of {size:,} bytes (at most {PARQUET_MAX_EXPANSION} times)")
    if cells > max(8 * PARQUET_MAX_CELLS_PER_BYTE * size, PARQUET_FLOOR_BYTES):
        reasons.append(f"holds {meta.num_rows:,} rows x {meta.num_columns} columns in {size:,} bytes (at most "
                       f"{PARQUET_MAX_CELLS_PER_BYTE} values per byte of file)")
    if memory_rule and memory is not None and max(decompressed, cells) > memory:
        reasons.append(f"needs at least {max(decompressed, cells):,} bytes of memory; {memory:,} are available")
    if reasons:
        col.add(None, (), "the Parquet file is refused before reading it: it " + "; it ".join(reasons),
                "a Parquet panel of ordinary compression (a decompression bomb or a corrupt footer is "
                "never read; see 'Limits' in data/README.md)")
        col.raise_if_any()
    return int(meta.num_rows)


def _long_value_problem(col: _Collector, name: str, rows, longest: int) -> None:
    col.add(name, rows, f"a value of {longest:,} characters (values not shown)",
            f"values of at most {MAX_VALUE_LENGTH} characters")


def _refuse_long_values(frame: pd.DataFrame, rows: np.ndarray, col: _Collector) -> None:
    """Refuse values longer than MAX_VALUE_LENGTH characters in a CSV file's columns (categorical
    from the fast reader: their categories only; plain strings from the careful reader)."""
    for i, name in enumerate(frame.columns):
        values = frame.iloc[:, i]
        if isinstance(values.dtype, pd.CategoricalDtype):
            lengths = values.cat.categories.str.len().to_numpy()
            if len(lengths) == 0 or lengths.max() <= MAX_VALUE_LENGTH:
                continue
            at = np.isin(values.cat.codes.to_numpy(), np.flatnonzero(lengths > MAX_VALUE_LENGTH))
            longest = int(lengths.max())
        else:
            lengths = values.astype(str).str.len().to_numpy()
            at = lengths > MAX_VALUE_LENGTH
            if not at.any():
                continue
            longest = int(lengths.max())
        _long_value_problem(col, name, rows[at], longest)
    col.raise_if_any()


def _refuse_long_arrow_values(table, col: _Collector) -> None:
    """:func:`_refuse_long_values` on a Parquet file's Arrow table, before it becomes a frame:
    lengths in bytes first (from the offsets, no decoding), characters only where the bytes
    exceed the limit; a dictionary column by its dictionary, once per distinct dictionary (a 12M-row
    panel's person ids: 97 chunks sharing one dictionary of 200,000 ids, a few milliseconds)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def too_long(array) -> np.ndarray | None:
        """Where ``array`` (strings or bytes) holds a value over the limit; None if nowhere."""
        kind = array.type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)):
            return None
        nbytes = pc.binary_length(array)
        top = pc.max(nbytes).as_py()
        if top is None or top <= MAX_VALUE_LENGTH:  # characters <= bytes
            return None
        length = pc.utf8_length(array) if pa.types.is_string(kind) or pa.types.is_large_string(kind) else nbytes
        at = pc.fill_null(pc.greater(length, MAX_VALUE_LENGTH), False).to_numpy(zero_copy_only=False)
        return at if at.any() else None

    for name, column in zip(table.column_names, table.columns, strict=True):
        bad_rows, longest, offset, seen = [], 0, 0, {}
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                dictionary = chunk.dictionary
                key = tuple(b.address if b is not None else 0 for b in dictionary.buffers()) + (len(dictionary),)
                if key not in seen:
                    seen[key] = too_long(dictionary)
                at_dict = seen[key]
                if at_dict is not None:
                    codes = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                    bad_rows.append(offset + np.flatnonzero(np.isin(codes, np.flatnonzero(at_dict))))
                    longest = max(longest, max(len(v) for v in dictionary.filter(pa.array(at_dict)).to_pylist()))
            else:
                at = too_long(chunk)
                if at is not None:
                    bad_rows.append(offset + np.flatnonzero(at))
                    longest = max(longest, max(len(v) for v in chunk.filter(pa.array(at)).to_pylist()))
            offset += len(chunk)
        if bad_rows:
            _long_value_problem(col, _normalise_header(name), np.concatenate(bad_rows) + 1, longest)
    col.raise_if_any()


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(text: str, col: _Collector) -> tuple[pd.DataFrame, np.ndarray]:
    lines = text.splitlines()
    skip = 0
    sep_line = re.match(r"^\s*sep=(.)\s*$", lines[0]) if lines else None
    if sep_line:  # Excel's "sep=;" first line
        delimiter, skip = sep_line.group(1), 1
    else:
        delimiter = _delimiter(lines[0] if lines else "")
    reader = csv.reader(io.StringIO("\n".join(lines[skip:])), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        header = []
    names = [_normalise_header(h) for h in header]
    width = len(names)
    data: list[list[str]] = []
    line_numbers: list[int] = []
    ragged: list[int] = []
    try:
        for record in reader:
            line = reader.line_num + skip
            if not any(v.strip() for v in record):
                continue  # blank line (Excel often appends some)
            if len(record) > width and not any(v.strip() for v in record[width:]):
                record = record[:width]  # trailing empty fields
            if len(record) != width:
                ragged.append(line)
                continue
            data.append(record)
            line_numbers.append(line)
    except csv.Error as exc:
        col.add(None, (reader.line_num + skip,), f"the CSV file cannot be parsed ({exc})",
                "a CSV file with quotes (\") around values that contain the separator")
        col.raise_if_any()
    if ragged:
        hint = ""
        if delimiter == ",":
            hint = " (a decimal comma in a comma-separated file must be quoted; or save as semicolon-separated)"
        col.add(None, ragged, f"wrong number of fields: the header has {width}, separated by "
                f"'{delimiter}'{hint}", "the same number of fields on every line")
        col.raise_if_any()
    if not data:
        col.add(None, (), "the file has a header but no data rows", "one row per person-month below the header")
        col.raise_if_any()
    frame = pd.DataFrame(data, columns=names, dtype="object")
    # Columns without a name and without values: Excel's trailing separators. Drop them.
    nameless = [i for i, n in enumerate(names) if n == ""]
    drop = [i for i in nameless if not frame.iloc[:, i].str.strip().astype(bool).any()]
    for i in nameless:
        if i not in drop:
            col.add(f"(column {i + 1}, no name)", (1,), "a column with values but no name in the header",
                    "a column name from the data dictionary, or remove the column")
    if drop:
        frame = frame.iloc[:, [i for i in range(width) if i not in drop]]
    return frame, np.asarray(line_numbers)


def read_table(path: str | Path) -> tuple[pd.DataFrame, np.ndarray]:
    """Read a CSV or Parquet file: CSV values as strings, Parquet columns with their types.

    Returns the frame with normalised column names (lower case, spaces and hyphens as ``_``) and the
    source row number of each row (CSV: line number, header = 1; Parquet: row number from 1).
    Raises :class:`DataError` for an unreadable file: missing, empty, an Excel or other binary
    file, a wrong text encoding, or lines with the wrong number of fields.
    """
    path = Path(path)
    col = _Collector(str(path))
    if not path.is_file():
        col.add(None, (), "file not found" if not path.exists() else "not a file",
                "the path of a CSV or Parquet file")
        col.raise_if_any()
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == b"PAR1":
        _check_parquet_metadata(path, path.stat().st_size, col)
        try:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises many exception types for corrupt files
            col.add(None, (), f"not a readable Parquet file ({type(exc).__name__}: {_cut(str(exc))})",
                    "a complete, valid Parquet file")
            col.raise_if_any()
        _refuse_long_arrow_values(table, col)
        try:
            # self_destruct frees each Arrow column once converted: the file is never held twice
            # (12M rows: peak memory about half of pd.read_parquet's). date_as_object=False: a
            # date column as datetime64 in days' precision (any year: year 9999 is reported as out
            # of range by the month check, not raised by pandas)
            frame = table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
            del table
            # Arrow's memory pool keeps what it freed for reuse (0.7 GB after a 12M-row file):
            # give it back, since the rest of the analysis allocates through numpy, not Arrow
            import pyarrow

            pyarrow.default_memory_pool().release_unused()
        except Exception as exc:  # pyarrow raises many exception types for corrupt files
            col.add(None, (), f"not a readable Parquet file ({type(exc).__name__}: {_cut(str(exc))})",
                    "a complete, valid Parquet file")
            col.raise_if_any()
        if len(frame) == 0:
            col.add(None, (), "the Parquet file has no rows", "one row per person-month")
            col.raise_if_any()
        frame.columns = [_normalise_header(c) for c in frame.columns]
        for i, name in enumerate(frame.columns):
            values = frame.iloc[:, i]
            if values.dtype == object and values.map(lambda v: isinstance(v, list | tuple | dict | np.ndarray)).any():
                col.add(name, (), "the column holds lists or nested records", "one plain value per row")
        col.raise_if_any()
        frame.index = pd.RangeIndex(len(frame))  # a stored index is dropped, without copying the data
        return frame, np.arange(1, len(frame) + 1)
    raw = path.read_bytes()
    if len(raw.strip().lstrip(b"\xef\xbb\xbf").strip()) == 0:
        col.add(None, (), "the file is empty", "a header line with the column names and one row per person-month")
        col.raise_if_any()
    _refuse_binary(raw, col)
    _refuse_bad_header(raw, col)
    frame, rows = _read_csv_fast(raw) or _read_csv(_decode(raw, col), col)
    _refuse_long_values(frame, rows, col)
    return frame, rows


# Characters that Python's str.splitlines() (the careful reader) takes as line breaks besides \n
_OTHER_BREAKS = (b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


def _read_csv_fast(raw: bytes) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A well-formed CSV file read by pyarrow's multi-threaded reader, each column dictionary-encoded
    (categorical, like Parquet); None when the file needs the careful reader (:func:`_read_csv`):
    text that is not UTF-8, lines with the wrong number of fields, line breaks inside quoted
    values, Excel's "sep=" line, an unnamed or repeated column. The careful reader, Python's csv
    module, then finds and reports each problem; it reads about 100,000 rows a second, this one
    millions. Line numbers: every line after the header is one row here, so row i is line i + 2;
    blank lines and lines of empty fields are skipped with their numbers, as the careful reader
    skips them (tests/unit/data/test_data_fast_paths.py checks that the two readers never disagree)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if raw.count(b"\r") != raw.count(b"\r\n") or any(b in raw for b in _OTHER_BREAKS):
        return None
    end = raw.find(b"\n")
    try:
        first = raw[: end if end >= 0 else len(raw)].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        return None
    if re.match(r"^\s*sep=(.)\s*$", first):
        return None  # rare (Excel's "sep=;" line): the careful reader
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter), [])
    names = [_normalise_header(h) for h in header]
    if not names or "" in names or len(set(names)) != len(names):
        return None
    bad: list = []

    def invalid(row) -> str:
        bad.append(row)
        return "skip"

    # UTF-8 checked first, by Arrow without a copy: pyarrow cannot even hand a row that is not
    # UTF-8 to the invalid-row handler (the careful reader reports the encoding)
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(raw)], dtype=np.int64)),
                                                         pa.py_buffer(raw)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return None
    keys = [f"c{i}" for i in range(len(names))]
    try:
        table = pcsv.read_csv(
            pa.py_buffer(raw),
            read_options=pcsv.ReadOptions(skip_rows=1, column_names=keys),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False,
                                            invalid_row_handler=invalid),
            convert_options=pcsv.ConvertOptions(column_types={k: pa.dictionary(pa.int32(), pa.string()) for k in keys},
                                                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowException, UnicodeDecodeError):
        return None
    lines_after_header = raw.count(b"\n") - (0 if raw.endswith(b"\n") else -1) - 1
    if bad or table.num_rows == 0 or table.num_rows != lines_after_header:
        return None  # a quoted line break or a skipped line: row numbers would not be line numbers
    frame = table.to_pandas()
    frame.columns = names
    lines = np.arange(2, 2 + len(frame))
    # rows of empty fields only (Excel appends ";;;;" lines) are skipped, as the careful reader does
    blank = np.ones(len(frame), dtype=bool)
    for name in names:
        values = frame[name]
        empty = np.flatnonzero(values.cat.categories.str.strip() == "")
        blank &= np.isin(values.cat.codes.to_numpy(), empty)
        if not blank.any():
            break
    if blank.any():
        frame, lines = frame[~blank].reset_index(drop=True), lines[~blank]
    pa.default_memory_pool().release_unused()
    return frame, lines

