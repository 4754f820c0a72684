"""How every output file is written: atomically, checked beforehand, CSV text made formula-safe.

One home for writing files, used by the workbook, the CSV tables, the weights file and the plots:

- :func:`write_atomic` writes to a temporary file beside the target and moves it into place in one
  step (``os.replace``), so a reader, a crash or a kill never leaves half a file: the old output
  stays whole until the new one is complete. The temporary file is removed when the write fails
  or is interrupted (Ctrl-C).
- :func:`check_writable` says, before hours of computation, that an output path cannot be
  written (its folder is a file, the target is a folder, no permission, wrong file type).
- :func:`write_csv` neutralises formula payloads (OWASP "CSV injection"): text starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, so a spreadsheet
  opening the file shows it as text instead of running it. ``neutralise=False`` writes text as it
  is, for machine consumers that never open the file in a spreadsheet.
"""

from __future__ import annotations

import contextlib
import os
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import ReportError, SurveyIndexError
from ._format import FORMULA_TRIGGERS


def write_atomic(path: str | Path, write: Callable[[Path], object], what: str = "file") -> Path:
    """Call ``write(tmp)`` on a temporary path beside ``path``, then move it over ``path``.

    The temporary name keeps the suffix (``.report.1a2b3c.tmp.xlsx``) so writers that choose the
    format from it (matplotlib) still work; the folder is created if missing.

    Raises
    ------
    ReportError
        Naming the path and the cause when the file cannot be written.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "out" / "a.txt"
    >>> _ = write_atomic(p, lambda tmp: tmp.write_text("new"))
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('new', ['a.txt'])
    >>> def broken(tmp):
    ...     tmp.write_text("half")
    ...     raise OSError(28, "No space left on device")
    >>> write_atomic(p, broken)
    Traceback (most recent call last):
    ...
    surveyindex.errors.ReportError: .../a.txt: cannot write the file (OSError: [Errno 28] No space left on device)
    >>> p.read_text(), sorted(x.name for x in p.parent.iterdir())
    ('new', ['a.txt'])
    """
    path = Path(path)
    # Beside the target: os.replace is atomic only within one file system; a plain open (not
    # mkstemp) gives the file the usual permissions.
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{path.suffix}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, path)
    except BaseException as e:  # an interrupted write must not leave its temporary file either
        with contextlib.suppress(OSError):  # the cause below matters, not a failed clean-up
            tmp.unlink(missing_ok=True)
        if not isinstance(e, Exception) or isinstance(e, SurveyIndexError):
            raise
        hint = "; is it open in another program?" if isinstance(e, PermissionError) else ""
        raise ReportError(f"{path}: cannot write the {what} ({type(e).__name__}: {e}){hint}") from e
    return path


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """The table with text cells that a spreadsheet would run as a formula prefixed by ``'``.

    Only text is touched (numbers such as -0.5 stay numbers); the input is not modified.

    >>> t = pd.DataFrame({"id": ["=HYPERLINK(\\"http://x\\")", "r2", "-1+2", "@SUM(A1)"],
    ...                   "w": [1.0, -0.5, 2.0, 1.0]})
    >>> neutralise_formulas(t)["id"].tolist(), neutralise_formulas(t)["w"].tolist()
    (['\\'=HYPERLINK("http://x")', 'r2', "'-1+2", "'@SUM(A1)"], [1.0, -0.5, 2.0, 1.0])
    """
    out = None
    for j, (_name, col) in enumerate(table.items()):
        if not (col.dtype == object or pd.api.types.is_string_dtype(col.dtype)):
            continue
        text = col.astype("string")
        risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False).to_numpy(bool)
        if risky.any():
            out = table.copy() if out is None else out
            fixed = col.astype(object).copy()
            fixed[risky] = "'" + text[risky].astype(object)
            out.isetitem(j, fixed)
    return table if out is None else out


def write_csv(table: pd.DataFrame, path: str | Path, *, neutralise: bool = True) -> Path:
    """Write ``table`` as CSV atomically; formula payloads neutralised unless ``neutralise=False``.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(pd.DataFrame({"resp_id": ["=1+2", "r2"], "weight": [1.5, -1.0]}), p)
    >>> print(p.read_text().strip())
    resp_id,weight
    '=1+2,1.5
    r2,-1.0
    """
    safe = neutralise_formulas(table) if neutralise else table
    return write_atomic(path, lambda tmp: safe.to_csv(tmp, index=False), "CSV file")


def check_writable(path: str | Path, *, folder: bool = False, suffix: str | None = None,
                   what: str = "output") -> Path:
    """Check, before any computation, that ``path`` can be written; returns it as a Path.

    ``folder`` says the output is a folder of files; ``suffix`` the file type it must have.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> check_writable(d / "new" / "report.xlsx", suffix=".xlsx").name
    'report.xlsx'
    >>> check_writable(d / "x.csv", suffix=".xlsx", what="workbook")
    Traceback (most recent call last):
    ...
    surveyindex.errors.ReportError: .../x.csv: the workbook must be an .xlsx file, not .csv
    >>> _ = (d / "f").write_text("")
    >>> check_writable(d / "f" / "w.csv")
    Traceback (most recent call last):
    ...
    surveyindex.errors.ReportError: .../f/w.csv: cannot write the output: .../f is a file, not a folder
    """
    path = Path(path)
    if suffix is not None and path.suffix.lower() != suffix:
        raise ReportError(f"{path}: the {what} must be an {suffix} file, not "
                          f"{path.suffix or 'a name without a suffix'}")
    if path.exists():
        if folder != path.is_dir():
            kind = "a folder" if path.is_dir() else "a file"
            raise ReportError(f"{path}: cannot write the {what}: it is {kind}, expected "
                              f"{'a folder' if folder else 'a file'}")
        if not os.access(path, os.W_OK):
            raise ReportError(f"{path}: cannot write the {what}: no permission to write it")
        if not folder:
            _check_not_open(path, what)
    parent = path if folder and path.exists() else path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ReportError(f"{path}: cannot write the {what}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ReportError(f"{path}: cannot write the {what}: no permission to write in {parent}")
    return path


def _check_not_open(path: Path, what: str) -> None:
    """An existing file another program holds: Windows refuses to replace a workbook Excel has
    open, which would otherwise be found only after the whole computation. Excel and LibreOffice
    leave a lock file beside what they open (``~$report.xlsx``, ``.~lock.report.xlsx#``)."""
    try:
        with open(path, "r+b"):
            pass
    except PermissionError:
        raise ReportError(f"{path}: cannot write the {what}: it is open in another program "
                          "(Excel?); close it and run again") from None
    except OSError:
        return
    for lock in (path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")):
        if lock.exists():
            warnings.warn(f"{path}: {lock.name} beside it says the file is open in another "
                          "program (Excel, LibreOffice); close it, or writing it at the end of the "
                          "run may fail (a lock file left by a crash can be deleted)", stacklevel=3)
            return
