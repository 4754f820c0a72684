"""Read a response file of any supported type into a :class:`RawTable`: cells plus metadata.

Every reader returns the cells untouched apart from stripping text and turning the usual blank
markers (``N/A``, ``NULL``, ``None``... in any case: :data:`BLANK_FORMS`) into missing; column
names come from the file's first row as they are (duplicates kept, so they can be reported
instead of being renamed silently as pandas does). What SPSS and Stata files know beyond the
cells (variable labels, value labels, user-defined missing values) is kept in the metadata so
the mapping stage can check and use it.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import MissingDependencyError, ResponseDataError

#: Cell texts that agencies and export tools use for "no answer" (SPSS writes #NULL! and ".").
BLANK_MARKERS = frozenset({"", "NA", "N/A", "#N/A", "NULL", "#NULL!", ".", "nan", "NaN", "None"})
#: Every casing of the markers ("n/a", "Null", "NONE", "nAn"): a stripped cell is blank when it is
#: one of them. Matching is case-insensitive by an exact lookup in this set (70 texts), which
#: costs what a lookup of the markers alone costs; a casefold of every cell would not.
BLANK_FORMS = frozenset("".join(chars) for m in BLANK_MARKERS
                        for chars in itertools.product(*({c.lower(), c.upper()} for c in m)))
_TEXT = (".csv", ".txt", ".tsv", ".tab")
_EXCEL = (".xlsx", ".xlsm")
_READSTAT = (".sav", ".zsav", ".dta")
SUPPORTED = (*_TEXT, *_EXCEL, *_READSTAT, ".parquet")


@dataclass
class RawTable:
    """The cells of a response file and what the file says about them.

    ``frame`` has one row per data row and the file's own column names (possibly repeated);
    ``first_line`` is the file line (or spreadsheet row) of ``frame``'s first row, so row ``i``
    (0-based) sits on line ``first_line + i``. ``user_missing`` maps a column to its
    declared-missing values and their labels; ``variable_labels`` and ``value_labels`` come from
    SPSS/Stata metadata. ``notes`` record what the reader decided (encoding, delimiter...).
    """

    name: str
    frame: pd.DataFrame
    kind: str
    first_line: int = 2
    variable_labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    user_missing: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    decimal: str = "."
    short_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    encoding: str = ""
    delimiter: str = ""
    #: Text columns as :func:`clean_cells` factorised them, for the recoding to reuse.
    factorized: dict = field(default_factory=dict, repr=False)


def read_table(path: str | Path, *, sheet: str | int = 0, encoding: str | None = None,
               delimiter: str | None = None) -> RawTable:
    """Read the cells of a response file, whatever its type; every failure is a ResponseDataError.

    Parameters
    ----------
    path : str or Path
        A .csv/.txt/.tsv, .xlsx/.xlsm, .sav/.zsav, .dta or .parquet file.
    sheet : str or int
        Excel sheet name or 0-based position.
    encoding : str, optional
        Text encoding of a delimited file; detected when omitted (a BOM, else UTF-8, else
        Windows-1252, the encoding of most European Excel exports).
    delimiter : str, optional
        Field delimiter of a delimited file; detected from the first lines when omitted.

    Returns
    -------
    RawTable

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "w.csv"
    >>> _ = p.write_bytes("resp_id;country\\n1;FRA\\n2;DEU\\n".encode("cp1252"))
    >>> t = read_table(p)
    >>> list(t.frame.columns), t.frame.shape, t.notes
    (['resp_id', 'country'], (2, 2), ["delimiter ';' detected"])
    """
    path = Path(path)
    if not path.exists():
        raise ResponseDataError(f"{path}: file not found")
    if path.is_dir():
        raise ResponseDataError(f"{path}: is a folder, not a response file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise ResponseDataError(
            f"{path}: unsupported file type {suffix!r}; expected .csv, .xlsx, .sav, .dta or .parquet"
        )
    if path.stat().st_size == 0:
        raise ResponseDataError(f"{path}: the file is empty (0 bytes)")
    try:
        if suffix in _TEXT:
            return _read_text(path, encoding, delimiter)
        if suffix in _EXCEL:
            return _read_excel(path, sheet)
        if suffix in _READSTAT:
            return _read_readstat(path)
        return _read_parquet(path)
    except (MissingDependencyError, ResponseDataError):
        raise
    except Exception as exc:  # noqa: BLE001 - readers raise many types; the user needs file and cause
        raise ResponseDataError(
            f"{path}: cannot be read as a {suffix} file ({type(exc).__name__}: {exc}); "
            "is it complete and of the type its name says?"
        ) from None


def decode(data: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    """Decode file bytes: the given encoding strictly, or BOM / UTF-8 / Windows-1252 in turn.

    Nothing is ever decoded with replacement characters: bytes that are not valid in the encoding
    (a file mixing UTF-8 and Windows-1252 lines, say) are an error naming the lines.

    >>> decode("café".encode("cp1252"), "f.csv", None)
    ('café', 'cp1252')
    >>> decode(b"\\xef\\xbb\\xbfa,b", "f.csv", None)
    ('a,b', 'utf-8-sig')
    >>> decode("id\\nJosé\\n".encode() + "José\\n".encode("cp1252"), "f.csv", None)
    Traceback (most recent call last):
    ...
    surveyindex.errors.ResponseDataError: f.csv: mixes UTF-8 text with bytes that are not UTF-8 (line 3)...
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise ResponseDataError(f"{name}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ResponseDataError(
                f"{name}: not valid {encoding} text (byte 0x{data[exc.start]:02x} on line {line}); "
                f"{_encoding_hint(data, name, encoding)}"
            ) from None
        wrong = _misread(data, text)
        if wrong:
            raise ResponseDataError(f"{name}: read as {encoding} (the declared encoding), {wrong}, "
                                    f"so {encoding} is not its encoding; "
                                    f"{_encoding_hint(data, name, encoding)}")
        return text, encoding
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", name, "it starts with a UTF-8 byte-order mark"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data, "utf-16", name, "it starts with a UTF-16 byte-order mark"), "utf-16"
    if data.startswith(b"PK\x03\x04"):
        raise ResponseDataError(f"{name}: is a zip/Excel file, not delimited text; rename it .xlsx")
    if b"\x00" in data[:4096]:
        raise ResponseDataError(
            f"{name}: contains NUL bytes, so it is not delimited text (a binary file, or UTF-16 "
            "without a byte-order mark: pass encoding='utf-16-le')"
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(data):  # some lines are UTF-8, others not: no one encoding fits
        lines = _bad_lines(data, "utf-8")
        raise ResponseDataError(
            f"{name}: mixes UTF-8 text with bytes that are not UTF-8 ({lines}), as when files "
            "in two encodings are pasted together; re-save it in one encoding (UTF-8), or pass "
            "encoding= to read every line in one encoding")
    return _strict(data, "cp1252", name, "it is not UTF-8, so Windows-1252 was tried"), "cp1252"


def _misread(data: bytes, text: str) -> str | None:
    """What shows that ``text`` is not what ``data`` says in some encoding, or None: the line
    breaks of the bytes gone (a UTF-16 encoding declared for an 8-bit file: pairs of bytes read
    as one character each), or NUL characters in the text (UTF-16 read as an 8-bit encoding).
    Left unsaid, the first gives one field of the whole file ("field larger than field limit")
    and the second column names with a NUL between every letter."""
    if b"\n" in data and "\n" not in text and "\r" not in text:
        return (f"the file has no line break: its {len(text)} characters make one line, "
                f"beginning {text[:12]!r}")
    nul = text.find("\x00", 0, 4096)
    if nul >= 0:
        return f"its text holds NUL characters (line {text.count(chr(10), 0, nul) + 1})"
    return None


def _encoding_hint(data: bytes, name: str, declared: str) -> str:
    """How to read a file that the declared encoding does not fit: the encoding detected
    without it when there is one (and it differs), else how to find it."""
    import codecs

    try:
        _, found = decode(data, name, None)
    except ResponseDataError:
        found = None
    if found is not None and codecs.lookup(found).name != codecs.lookup(declared).name:
        return (f"it reads as {found} text: omit encoding= to have it detected (in a project "
                f"file, the reading: encoding: line), or pass encoding={found!r}")
    head = data[:4096]
    if found is None and b"\x00" in head:  # UTF-16 without a byte-order mark: ASCII's NULs
        guess = "utf-16-le" if head[1::2].count(0) > head[0::2].count(0) else "utf-16-be"
        if codecs.lookup(guess).name != codecs.lookup(declared).name:
            return (f"its NUL bytes are those of UTF-16 without a byte-order mark: pass "
                    f"encoding={guess!r}")
    return ("pass the file's encoding, e.g. encoding='cp1252' for a Windows export, or omit "
            "encoding= to detect it (in a project file, the reading: encoding: line)")


# A multi-byte UTF-8 character (2- or 3-byte forms): Windows-1252 text almost never has one.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")


def _strict(data: bytes, encoding: str, name: str, why: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        raise ResponseDataError(
            f"{name}: not valid {encoding} text ({_bad_lines(data, encoding)}), and {why}; pass "
            "the file's encoding with encoding=, e.g. 'latin-1' or 'cp1251'") from None


def _bad_lines(data: bytes, encoding: str, show: int = 5) -> str:
    """'lines 3, 7 and 2 more': where the bytes invalid in ``encoding`` are (header = line 1)."""
    text = data.decode(encoding, errors="replace")
    where = sorted({text.count("\n", 0, m.start()) + 1 for m in re.finditer("\ufffd", text)})
    shown = ", ".join(map(str, where[:show])) + (f" and {len(where) - show} more"
                                                 if len(where) > show else "")
    return f"line{'s' * (len(where) != 1)} {shown}"


def sniff_delimiter(text: str) -> str:
    """The field delimiter among , ; tab | that splits the first lines most consistently.

    >>> sniff_delimiter('id;text\\n1;"a, b, c"\\n')
    ';'
    """
    end = 0
    for _ in range(20):  # the first 20 lines only: splitting all of a large file costs
        end = text.find("\n", end) + 1
        if not end:
            break
    sample = "\n".join(text[:end or len(text)].splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


# -- one reader per file type -------------------------------------------------------------------

def _read_text(path: Path, encoding: str | None, delimiter: str | None) -> RawTable:
    data = path.read_bytes()
    text, used = decode(data, str(path), encoding)
    if not text or text.isspace():  # (stops at the first character that is not a space)
        raise ResponseDataError(f"{path}: the file is empty (no text)")
    notes = [] if encoding or used in ("utf-8", "utf-8-sig") else [f"encoding {used} detected"]
    # Excel's "sep=;" first line names the delimiter; the header is on the line after it.
    directive = re.match(r"sep=(.)[ \t]*\r?\n", text)
    first = 2
    if directive:
        text, first = text[directive.end():], 3
        notes.append(f"first line {directive.group(0).strip()!r} read as the delimiter")
    sep = delimiter or (directive.group(1) if directive else sniff_delimiter(text))
    if delimiter is None and sep != "," and not directive:
        notes.append(f"delimiter {sep!r} detected")
    # the file's own bytes when they are the text's UTF-8 (not with a directive line cut off)
    utf8 = None if directive else _utf8_bytes(data, used)
    if utf8 is not None:
        del text  # not held while Arrow parses (hundreds of MB at millions of rows)
    from . import csv_arrow  # (it builds on this module's cleaning)

    table = csv_arrow.parse(utf8 if utf8 is not None else text.encode("utf-8"), sep)
    if table is None and utf8 is not None:
        text = decode(data, str(path), encoding)[0]
    del data, utf8
    known: dict = {}
    if table is not None:
        clean = csv_arrow.clean_table(table, str(path), known)
        del table
        _release_arrow_memory()  # the parsed text, now cells: not held beside what comes next
        return RawTable(str(path), clean, "text", first, notes=notes,
                        decimal="," if sep == ";" else ".", encoding=used, delimiter=sep,
                        factorized=known)
    # a file the Arrow parser refuses (short rows...): pandas' own parser
    try:
        # na_filter=False keeps empty fields as "" so that NaN marks only the fields a short
        # (truncated) row lacks; dtype=str keeps ids such as 007 and label text intact.
        cells = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str,
                            na_filter=False, skip_blank_lines=True, engine="c")
    except pd.errors.ParserError as exc:
        raise ResponseDataError(f"{path}: malformed delimited text ({_parser_detail(exc)}); "
                                f"delimiter {sep!r}") from None
    except pd.errors.EmptyDataError:
        raise ResponseDataError(f"{path}: the file is empty") from None
    short = _short_rows(text, sep, len(cells), cells.shape[1])
    frame = _with_header(cells, str(path))
    del cells
    clean = clean_cells(frame, known)
    del frame
    return RawTable(str(path), clean, "text", first, notes=notes,
                    decimal="," if sep == ";" else ".", short_rows=np.flatnonzero(short),
                    encoding=used, delimiter=sep, factorized=known)


def _read_excel(path: Path, sheet: str | int) -> RawTable:
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - openpyxl/zipfile errors: report the cause plainly
        raise ResponseDataError(f"{path}: cannot be opened as an Excel workbook "
                                f"({type(exc).__name__}: {exc}); is the file complete?") from None
    names = book.sheet_names
    if isinstance(sheet, int) and not 0 <= sheet < len(names):
        raise ResponseDataError(f"{path}: no sheet number {sheet}; the workbook has {names}")
    if isinstance(sheet, str) and sheet not in names:
        raise ResponseDataError(f"{path}: no sheet named {sheet!r}; the workbook has {names}")
    # Only an empty cell is missing here: pandas' own list of NA texts ("n/a", "<NA>", "-nan"...)
    # would make the blank markers differ from the other readers'; clean_cells applies ours.
    cells = pd.read_excel(book, sheet_name=sheet, header=None, dtype=object,
                          keep_default_na=False, na_values=[""])
    if _PANDAS_MAJOR < 3:
        _restore_booleans(cells, path, names[sheet] if isinstance(sheet, int) else sheet)
    if cells.empty:
        raise ResponseDataError(f"{path}: sheet {sheet!r} is empty")
    # Excel adds empty trailing rows/columns when cells were once formatted; they are not data.
    cells = cells.dropna(how="all", axis=1)
    notes = [f"sheet {names[sheet] if isinstance(sheet, int) else sheet!r} of {names}"] \
        if len(names) > 1 else []
    return RawTable(str(path), clean_cells(_with_header(cells, str(path))), "excel", 2, notes=notes)


_PANDAS_MAJOR = int(pd.__version__.split(".")[0])


def _restore_booleans(cells: pd.DataFrame, path: Path, sheet: str) -> None:
    """pandas < 3 turns an Excel TRUE/FALSE in a numeric column into 1/0 before we see it; put
    the booleans back so that the type checks see them (pandas 3 keeps them)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        ws = wb[sheet]
        r0, c0 = (ws.min_row or 1), (ws.min_column or 1)
        for row in ws.iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "b" and cell.value is not None:
                    i, j = cell.row - r0, cell.column - c0
                    if 0 <= i < cells.shape[0] and 0 <= j < cells.shape[1]:
                        cells.iat[i, j] = bool(cell.value)
    finally:
        wb.close()


def _read_readstat(path: Path) -> RawTable:
    try:
        import pyreadstat
    except ImportError:
        raise MissingDependencyError(
            f"{path}: reading SPSS/Stata files needs pyreadstat: pip install 'surveyindex[sav]'"
        ) from None
    reader = pyreadstat.read_dta if path.suffix.lower() == ".dta" else pyreadstat.read_sav
    # user_missing=True keeps codes declared missing (8 "Don't know", Stata's .a) as values: the
    # default turns them into NaN, which would count a don't-know as a skipped question.
    frame, meta = reader(str(path), user_missing=True)
    missing = _declared_missing(meta)
    labels = {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()}
    user_missing = {col: {v: labels.get(col, {}).get(v, "") for v in vals}
                    for col, vals in missing.items()}
    return RawTable(str(path), clean_cells(typed(frame)), "readstat", 1,
                    variable_labels={k: v for k, v in meta.column_names_to_labels.items() if v},
                    value_labels=labels, user_missing=user_missing)


def _read_parquet(path: Path) -> RawTable:
    try:
        import pyarrow  # noqa: F401 - pandas' parquet engine
    except ImportError:
        raise MissingDependencyError(
            f"{path}: reading Parquet needs pyarrow: pip install 'surveyindex[parquet]'"
        ) from None
    import pyarrow.parquet as pq

    # Columns as Arrow stores them: integers with gaps as float64 (not pandas' Int64, whose
    # missing cells are pd.NA), no pandas index restored (an index saved as a column is not data)
    try:
        frame = _parquet_numbers(pq.ParquetFile(path))
    except Exception:  # noqa: BLE001 - read whole below, which raises what is wrong
        frame = None
    if frame is None:
        # One thread and self_destruct: the Table's buffers are freed as columns convert, so the
        # file is not held twice (Arrow's threaded conversion is also slower on a busy machine)
        frame = pq.read_table(path).to_pandas(ignore_metadata=True, split_blocks=True,
                                              use_threads=False, self_destruct=True)
    index = [bool(re.fullmatch(r"__index_level_\d+__", str(c))) for c in frame.columns]
    if any(index):
        frame = frame.loc[:, [not i for i in index]]
    frame.columns = [str(c) for c in frame.columns]
    return RawTable(str(path), clean_cells(typed(frame)), "parquet", 1)


# -- helpers ------------------------------------------------------------------------------------

_PARQUET_BATCH = 1 << 16


def _parquet_numbers(pf) -> pd.DataFrame | None:
    """The frame ``pf.read().to_pandas(ignore_metadata=True)`` gives, for a flat file of int64,
    float64 and string columns (what pandas writes for survey data), with the numeric columns
    read a batch of rows at a time straight into their final arrays: the file's numbers are
    never held twice, once as an Arrow table and once as numpy (at 2M rows x 46 numeric
    columns, 0.7 GB that the machine does not have to find). As Arrow converts them, an int64
    column with a missing cell anywhere becomes float64 with NaN, one without stays int64.
    None for any other file, which is read whole."""
    import pyarrow as pa

    schema = pf.schema_arrow
    names = schema.names
    numeric = {pa.int64(), pa.float64()}
    if len(set(names)) != len(names) or not names or any(
            f.type not in numeric and f.type not in (pa.string(), pa.large_string())
            for f in schema):
        return None
    num = [f.name for f in schema if f.type in numeric]
    if not num:
        return None
    n = pf.metadata.num_rows
    arrays = {c: np.empty(n, dtype=np.int64 if schema.field(c).type == pa.int64() else float)
              for c in num}
    done = 0
    # Arrow decodes a batch's columns on its threads (the same values, sooner)
    for batch in pf.iter_batches(batch_size=_PARQUET_BATCH, columns=num, use_threads=True):
        rows = batch.num_rows
        for c, a in zip(num, batch.columns):
            out = arrays[c]
            if a.null_count and out.dtype.kind == "i":  # the column's first gap: float from now
                out = arrays[c] = _int_to_float_in_place(out, done)
            out[done:done + rows] = a.to_numpy(zero_copy_only=False)
        done += rows
    if done != n:
        return None
    other = [c for c in names if c not in arrays]
    rest = (pf.read(columns=other).to_pandas(ignore_metadata=True, split_blocks=True,
                                             use_threads=False, self_destruct=True)
            if other else None)
    cols = {c: pd.Series(arrays[c], copy=False) if c in arrays else rest[c] for c in names}
    return pd.DataFrame(cols, copy=False)


def _int_to_float_in_place(values: np.ndarray, filled: int) -> np.ndarray:
    """The int64 array as float64 in the same memory, its first ``filled`` cells converted."""
    out = values.view(np.float64)
    for r0 in range(0, filled, _PARQUET_BATCH):
        r1 = min(r0 + _PARQUET_BATCH, filled)
        out[r0:r1] = values[r0:r1].astype(np.float64)
    return out

def _declared_missing(meta) -> dict[str, list]:
    """Values a SPSS/Stata file declares missing, per column (discrete values and ranges)."""
    out: dict[str, list] = {}
    for col, vals in (getattr(meta, "missing_user_values", None) or {}).items():
        out.setdefault(col, []).extend(vals)
    labels = getattr(meta, "variable_value_labels", None) or {}
    for col, ranges in (getattr(meta, "missing_ranges", None) or {}).items():
        for r in ranges:
            lo, hi = r["lo"], r["hi"]
            if lo == hi:
                out.setdefault(col, []).append(lo)
            else:  # a range such as 97-99: the labelled codes inside it, and its ends
                inner = [v for v in labels.get(col, {}) if isinstance(v, (int, float))
                         and lo <= v <= hi]
                out.setdefault(col, []).extend(sorted({lo, hi, *inner}))
    return out


def _release_arrow_memory() -> None:
    """Give the memory Arrow freed back to the system now: its allocator keeps freed pages for
    reuse, which at millions of rows would sit beside the (rows, targets, items) arrays."""
    try:
        import pyarrow as pa
    except ImportError:
        return
    release = getattr(pa.default_memory_pool(), "release_unused", None)
    if release is not None:
        release()


def _utf8_bytes(data: bytes, used: str) -> bytes | None:
    """``data`` as the UTF-8 encoding of its decoded text (without a byte-order mark), or None
    when the file is in another encoding: valid UTF-8 decodes and encodes to the same bytes.

    >>> _utf8_bytes(b"\\xef\\xbb\\xbfa,b", "utf-8-sig"), _utf8_bytes(b"a", "cp1252")
    (b'a,b', None)
    """
    import codecs

    try:
        name = codecs.lookup(used).name
    except LookupError:
        return None
    if name == "utf-8":
        return data
    if name == "utf-8-sig":
        return data[3:] if data.startswith(codecs.BOM_UTF8) else data
    return None


def _short_rows(text: str, sep: str, n_records: int, n_fields: int) -> np.ndarray:
    """Data rows with fewer fields than the header (pandas pads them silently with "")."""
    try:
        counts = np.fromiter((len(r) for r in csv.reader(io.StringIO(text), delimiter=sep) if r),
                             dtype=int)
    except csv.Error:  # a field over csv's size limit, which pandas read: do not guess either
        return np.zeros(0, dtype=bool)
    if len(counts) != n_records:  # records split differently from pandas: do not guess
        return np.zeros(0, dtype=bool)
    return counts[1:] < n_fields


def _with_header(cells: pd.DataFrame, name: str) -> pd.DataFrame:
    header = ["" if pd.isna(h) else str(h).strip() for h in cells.iloc[0]]
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = header
    if not any(header):
        raise ResponseDataError(f"{name}: the first row has no column names")
    return frame


def typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns kept numeric (nullable integers and floats as float64 with NaN, so a
    missing cell is NaN, never pd.NA); text and anything else as object cells. No cell of a
    numeric column goes through Python objects."""
    out = {}
    for j in range(frame.shape[1]):
        s = frame.iloc[:, j]
        kind = s.dtype.kind
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and kind in "iuf":
            s = pd.Series(s.to_numpy(dtype=float, na_value=np.nan), index=s.index)
        elif kind not in "iufb" and not pd.api.types.is_string_dtype(s.dtype):
            s = s.astype(object)
        out[j] = s
    typed_frame = pd.DataFrame(out, copy=False)
    typed_frame.columns = list(frame.columns)
    return typed_frame


def clean_cells(frame: pd.DataFrame, factorized: dict | None = None) -> pd.DataFrame:
    """Strip text cells and turn blank markers into NaN, column by column (names may repeat).

    Numeric columns pass untouched; text is cleaned once per distinct value, not per cell.
    With ``factorized`` (a dict), each column cleaned per distinct value is recorded there with
    its codes and cleaned values (see :func:`known_values`), so that later steps need not
    factorise it again.
    """
    out, parts = {}, {}
    for j in range(frame.shape[1]):
        s, part = frame.iloc[:, j], None
        if s.dtype != object and pd.api.types.is_string_dtype(s):
            s, part = _clean_strings(s)
        elif s.dtype == object:
            s, part = _clean_objects(s)
        out[j] = s.reset_index(drop=True)
        if part is not None:
            parts[j] = part
    # copy=False: untouched numeric columns are shared, not duplicated (a 2M-row file is ~1 GB)
    clean = pd.DataFrame(out, copy=False)
    clean.columns = list(frame.columns)
    record_factorized(clean, parts, factorized)
    return clean


def record_factorized(clean: pd.DataFrame, parts: dict, factorized: dict | None) -> None:
    """Record in ``factorized`` the (codes, cleaned values) ``parts`` of ``clean``'s columns
    (by position), keyed by their cells, for :func:`known_values` to find."""
    if factorized is None:
        return
    for j, (codes, values) in parts.items():
        cells = clean.iloc[:, j].to_numpy()
        if cells.dtype == object:
            factorized[_cells_key(cells)] = (cells, codes, values)


def per_value(n: int, distinct_in_first_rows) -> bool:
    """Whether a text column of ``n`` cells is worth cleaning per distinct value (codes and
    labels) rather than cell by cell (ids): ``distinct_in_first_rows()`` counts the distinct
    values among its first 2,000 cells."""
    return n <= 1000 or distinct_in_first_rows() <= 1000


def few_values(n: int, n_distinct: int) -> bool:
    """Whether ``n_distinct`` values among ``n`` cells make per-value cleaning pay."""
    return n_distinct <= n // 2 or n <= 1000


def _cells_key(cells: np.ndarray) -> tuple:
    return (cells.__array_interface__["data"][0], cells.shape, cells.strides)


def _small(codes: np.ndarray) -> np.ndarray:
    """Codes (-1 for missing) in the smallest integer type that holds them."""
    top = int(codes.max(initial=0))
    for t in (np.int8, np.int16, np.int32):
        if top <= np.iinfo(t).max:
            return codes.astype(t)
    return codes


def known_values(col: pd.Series, factorized: dict | None):
    """``(codes, values)`` of a column :func:`clean_cells` recorded in ``factorized``: row
    ``i`` holds ``values[codes[i]]`` (-1: the cell as read was missing); ``values`` are the
    cleaned distinct cells as read (so a value may repeat, and a blank marker is NaN). None
    for any other column, or one whose cells are no longer the ones recorded."""
    if not factorized or col.dtype != object:
        return None
    cells = col.to_numpy()
    hit = factorized.get(_cells_key(cells))
    # the recorded array is held, so no other array can have its memory: same key, same cells
    return None if hit is None else hit[1:]


def _clean_strings(s: pd.Series) -> tuple[pd.Series, tuple | None]:
    """A column of pandas' string dtype as cleaned object cells: per distinct value for codes
    and labels, vectorised for ids (whose factorisation alone would cost more). Both give the
    same cells (pandas' strip on its string dtypes strips what str.strip does), so the first
    rows may choose. Also returns the codes and cleaned values when cleaned per value."""
    if per_value(len(s), lambda: len(pd.unique(s.iloc[:2000]))):
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
        if few_values(len(s), len(uniques)):
            clean = np.array([_clean_cell(v) for v in uniques] + [np.nan], dtype=object)
            # a new array: copy=False spares pandas' own copy (its increfs: 1.5 s at 2M rows)
            return pd.Series(clean[codes], dtype=object, copy=False), (_small(codes), clean[:-1])
    text = s.str.strip()  # vectorised on pandas' string dtype, then plain objects
    blank = text.isin(BLANK_FORMS).to_numpy() | text.isna().to_numpy()
    if not blank.any():  # ids: nothing to blank, one conversion to objects
        return text.astype(object), None
    s = text.where(~blank, None).astype(object)
    return s.where(s.notna(), np.nan), None


def _clean_objects(s: pd.Series) -> tuple[pd.Series, tuple | None]:
    """An object column cleaned per distinct value: text stripped, blank markers NaN; other
    cells (numbers, dates) and missing cells as they were."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    # per distinct value only when all are text: hashing merges 1, 1.0 and True, which a
    # mixed column (Excel, SPSS) must keep apart
    mixed = any(type(u) is not str for u in uniques)
    if mixed or (len(uniques) > len(s) // 2 and len(s) > 1000):  # or mostly distinct (ids)
        clean = np.array([_clean_cell(v) for v in s.to_numpy(object)], dtype=object)
        return pd.Series(clean, index=s.index, dtype=object), None
    values = np.array([_clean_cell(v) for v in uniques] + [None], dtype=object)
    clean = values[codes]
    missing = codes < 0
    if missing.any():  # None stays None and NaN stays NaN, as read
        clean[missing] = s.to_numpy(object)[missing]
    return pd.Series(clean, index=s.index, dtype=object), (_small(codes), values[:-1])


def _clean_cell(v):
    if isinstance(v, str):
        v = v.strip()
        return np.nan if v in BLANK_FORMS else v
    return v


def _parser_detail(exc: Exception) -> str:
    msg = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return msg.replace("Error tokenizing data. C error: ", "")
