"""Read a response file against the instrument: validate, recode, and account for every row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from ..errors import MissingDependencyError, ResponseDataError
from ..instrument import Instrument
from .ledger import Ledger

#: Codes of ``missing_kind``: why an answer is missing.
VALID, BLANK, DONT_KNOW, REFUSED, INVALID = 0, 1, 2, 3, 4
_ISO3 = frozenset(c.alpha_3 for c in pycountry.countries)


@dataclass(frozen=True, eq=False)
class Responses:
    """Validated responses: respondents, their recoded answers, and the ledger.

    ``values[i, t, j]`` is respondent ``i``'s answer about target ``t`` on item ``j`` (instrument
    order), reverse-keyed items already recoded (``min + max - x``) and missing codes set to NaN;
    ``missing_kind`` says why each missing answer is missing (blank, don't know, refused, invalid).
    ``single[item]`` holds the single items (n x targets), missing codes as NaN.
    """

    instrument: Instrument
    respondents: pd.DataFrame
    values: np.ndarray
    missing_kind: np.ndarray
    single: dict[str, np.ndarray]
    ledger: Ledger
    source: str = "<data frame>"

    def __post_init__(self) -> None:
        for a in (self.values, self.missing_kind, *self.single.values()):
            a.setflags(write=False)

    @property
    def n(self) -> int:
        """Number of respondents kept."""
        return len(self.respondents)

    def item_table(self) -> pd.DataFrame:
        """Long tidy table: one row per respondent x target x item, with the recoded value.

        >>> import surveyindex as si
        >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
        >>> list(r.item_table().columns)
        ['resp_id', 'country', 'target', 'dimension', 'item', 'value']
        """
        inst = self.instrument
        n, t, j = self.values.shape
        dims = [d.id for d, _ in inst.items()]
        return pd.DataFrame({
            "resp_id": np.repeat(self.respondents["resp_id"].to_numpy(), t * j),
            "country": np.repeat(self.respondents["country"].to_numpy(), t * j),
            "target": np.tile(np.repeat(inst.target_codes, j), n),
            "dimension": np.tile(dims, n * t),
            "item": np.tile(inst.item_ids, n * t),
            "value": self.values.reshape(-1),
        })


def read_responses(source: str | Path | pd.DataFrame, instrument: Instrument,
                   *, sheet: str | int = 0) -> Responses:
    """Read a wide response file (CSV, Excel, SPSS, Stata, Parquet) or a DataFrame.

    Columns follow the instrument's layout (``{target}_{item}``, e.g. ``USA_mor1``). Rows that cannot
    be used are excluded and listed in ``.ledger`` with their reasons: missing or duplicated
    respondent id, unknown country code, demographics outside the instrument's codes, no valid
    answer at all. Answers outside the scale are set to missing and listed as warnings.

    >>> import surveyindex as si
    >>> inst = si.load_instrument("softpower")
    >>> r = si.read_responses(si.sample_paths()["responses"], inst)
    >>> r.ledger.rows_in == r.ledger.rows_kept + r.ledger.rows_excluded
    True
    >>> r.values.shape[1:]
    (2, 20)
    """
    name = "<data frame>" if isinstance(source, pd.DataFrame) else str(source)
    raw = source.copy() if isinstance(source, pd.DataFrame) else _read_file(Path(source), sheet)
    raw.columns = [str(c).strip() for c in raw.columns]
    _check_columns(raw, instrument, name)
    raw = raw.reset_index(drop=True)
    reasons = _row_reasons(raw, instrument)
    values, kind, warnings = _recode_items(raw, instrument)
    singles = {s.id: _recode_single(raw, instrument, s) for s in instrument.single_items}

    no_answer = (kind == VALID).sum(axis=(1, 2)) == 0
    reasons = _add(reasons, no_answer, "no valid answer to any item")
    excluded_mask = reasons != ""
    idcol = instrument.layout.respondent_id
    rows = np.flatnonzero(excluded_mask)
    excluded = pd.DataFrame({
        "row": rows + 1, "line": rows + 2,
        "resp_id": raw[idcol].astype(str).to_numpy()[rows] if len(rows) else [],
        "reason": reasons[rows],
    })
    keep = ~excluded_mask
    if len(warnings):
        warnings["resp_id"] = raw[idcol].astype(str).to_numpy()[warnings["row"].to_numpy(int) - 1]
    warnings = warnings[warnings["row"].isin(np.flatnonzero(keep) + 1)].reset_index(drop=True)
    ledger = Ledger(name, len(raw), excluded, warnings)
    respondents = _respondents(raw.loc[keep], instrument)
    return Responses(
        instrument=instrument,
        respondents=respondents,
        values=np.ascontiguousarray(values[keep]),
        missing_kind=np.ascontiguousarray(kind[keep]),
        single={k: np.ascontiguousarray(v[keep]) for k, v in singles.items()},
        ledger=ledger,
        source=name,
    )


# -- helpers ------------------------------------------------------------------------------------

def _read_file(path: Path, sheet: str | int) -> pd.DataFrame:
    if not path.exists():
        raise ResponseDataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise ResponseDataError(f"{path}: the file is empty")
    try:
        if suffix in (".csv", ".txt"):
            return pd.read_csv(path, sep=_delimiter(path), encoding="utf-8-sig")
        if suffix in (".xlsx", ".xlsm", ".xls"):
            return pd.read_excel(path, sheet_name=sheet)
        if suffix == ".parquet":
            try:
                return pd.read_parquet(path)
            except ImportError:
                raise MissingDependencyError(
                    f"{path}: reading Parquet needs pyarrow: pip install 'surveyindex[parquet]'"
                ) from None
        if suffix in (".sav", ".zsav", ".dta"):
            try:
                import pyreadstat
            except ImportError:
                raise MissingDependencyError(
                    f"{path}: reading SPSS/Stata needs pyreadstat: pip install 'surveyindex[sav]'"
                ) from None
            reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
            df, _meta = reader(str(path))
            return df
    except (MissingDependencyError, ResponseDataError):
        raise
    except UnicodeDecodeError as exc:
        raise ResponseDataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise ResponseDataError(f"{path}: the file is empty") from None
    except Exception as exc:  # pandas/openpyxl raise many types; the user needs the file and cause
        raise ResponseDataError(f"{path}: cannot be read as {suffix} ({exc})") from None
    raise ResponseDataError(
        f"{path}: unsupported file type {suffix!r}; expected .csv, .xlsx, .sav, .dta or .parquet"
    )


def _delimiter(path: Path) -> str:
    """The delimiter of a delimited text file: comma unless the header says otherwise."""
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        header = f.readline()
    counts = {d: header.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > 0 else ","


def _check_columns(raw: pd.DataFrame, inst: Instrument, name: str) -> None:
    dup = raw.columns[raw.columns.duplicated()].tolist()
    if dup:
        raise ResponseDataError(f"{name}: duplicated column names {dup}")
    needed = [inst.layout.respondent_id, *inst.demographics]
    needed += [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    needed += [inst.column(t, s.id) for t in inst.target_codes for s in inst.single_items]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise ResponseDataError(
            f"{name}: {len(missing)} column(s) the instrument '{inst.id}' needs are missing: {shown}. "
            f"Item columns follow the pattern {inst.layout.item_column!r}."
        )
    if raw.empty:
        raise ResponseDataError(f"{name}: the file has a header but no data rows")


def _add(reasons: np.ndarray, mask: np.ndarray, text) -> np.ndarray:
    """Append ``text`` (a string or an array of strings) to the reasons of rows in ``mask``."""
    text = np.broadcast_to(np.asarray(text, dtype=object), reasons.shape)
    sep = np.where(reasons == "", "", "; ")
    return np.where(mask, reasons + sep + text, reasons)


def _row_reasons(raw: pd.DataFrame, inst: Instrument) -> np.ndarray:
    reasons = np.full(len(raw), "", dtype=object)
    ids = raw[inst.layout.respondent_id]
    blank_id = ids.isna().to_numpy() | (ids.astype(str).str.strip() == "").to_numpy()
    reasons = _add(reasons, blank_id, "missing respondent id")
    dup = ids.duplicated(keep="first").to_numpy() & ~blank_id
    if dup.any():
        first = ids.reset_index().groupby(inst.layout.respondent_id)["index"].transform("min")
        reasons = _add(reasons, dup, "duplicate respondent id (first at row "
                       + (first.to_numpy() + 1).astype(str).astype(object) + ")")
    for var, spec in inst.demographics.items():
        col = raw[var]
        if spec.type == "country":
            code = col.astype(str).str.strip().str.upper()
            bad = col.isna().to_numpy() | ~code.isin(_ISO3).to_numpy()
            reasons = _add(reasons, bad, f"{var} not an ISO 3166 alpha-3 code (got '"
                           + col.astype(str).to_numpy(object) + "')")
            continue
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(x)
        reasons = _add(reasons, missing, f"{var} missing or not a number")
        if spec.type == "numeric":
            lo = -np.inf if spec.min is None else spec.min
            hi = np.inf if spec.max is None else spec.max
            out = ~missing & ((x < lo) | (x > hi))
            reasons = _add(reasons, out, f"{var} outside {spec.min:g}-{spec.max:g} (got "
                           + col.astype(str).to_numpy(object) + ")")
        else:
            out = ~missing & ~np.isin(x, list(spec.codes))
            reasons = _add(reasons, out, f"{var} not one of the codes {sorted(spec.codes)} (got "
                           + col.astype(str).to_numpy(object) + ")")
    return reasons


def _recode_items(raw: pd.DataFrame, inst: Instrument):
    n, targets = len(raw), inst.target_codes
    pairs = inst.items()
    values = np.full((n, len(targets), len(pairs)), np.nan)
    kind = np.full(values.shape, VALID, dtype=np.int8)
    warn = []
    for j, (dim, item) in enumerate(pairs):
        scale = inst.scales[dim.scale]
        for t, target in enumerate(targets):
            col = inst.column(target, item.id)
            v, k, w = _recode_column(raw[col], scale, col)
            if item.reverse:
                v = scale.min + scale.max - v
            values[:, t, j], kind[:, t, j] = v, k
            warn.append(w)
    warnings = pd.concat(warn, ignore_index=True) if warn else Ledger.empty_warnings()
    return values, kind, warnings


def _recode_single(raw: pd.DataFrame, inst: Instrument, single) -> np.ndarray:
    scale = inst.scales[single.scale]
    cols = [_recode_column(raw[inst.column(t, single.id)], scale, "")[0] for t in inst.target_codes]
    return np.column_stack(cols)


def _recode_column(col: pd.Series, scale, name: str):
    x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    blank = col.isna().to_numpy()
    in_range = (x >= scale.min) & (x <= scale.max) & (np.floor(x) == x)
    dk_codes = [c for c, lab in scale.missing.items() if "refus" not in lab.lower()]
    ref_codes = [c for c in scale.missing if c not in dk_codes]
    kind = np.full(len(x), INVALID, dtype=np.int8)
    kind[in_range] = VALID
    kind[blank] = BLANK
    kind[np.isin(x, dk_codes)] = DONT_KNOW
    kind[np.isin(x, ref_codes)] = REFUSED
    bad = np.flatnonzero(kind == INVALID)
    warnings = pd.DataFrame({
        "row": bad + 1, "line": bad + 2, "resp_id": None, "column": name,
        "value": col.astype(str).to_numpy()[bad],
        "problem": f"not a code of the scale {scale.min}-{scale.max} or a missing code "
                   f"{sorted(scale.missing)}; set to missing",
    }) if len(bad) else Ledger.empty_warnings()
    return np.where(kind == VALID, x, np.nan), kind, warnings


def _respondents(kept: pd.DataFrame, inst: Instrument) -> pd.DataFrame:
    out = pd.DataFrame({"resp_id": kept[inst.layout.respondent_id].astype(str).to_numpy()})
    for var, spec in inst.demographics.items():
        col = kept[var]
        if spec.type == "country":
            out[var] = col.astype(str).str.strip().str.upper().to_numpy()
        elif spec.type == "numeric":
            out[var] = pd.to_numeric(col).to_numpy(dtype=float)
            if spec.groups is not None:
                g = spec.groups
                cut = pd.cut(out[var], bins=[*g.breaks, np.inf], labels=g.labels, right=False)
                out[g.name] = cut.astype(str).to_numpy()
        else:
            out[var] = pd.to_numeric(col).astype(int).astype(str).to_numpy()
    if inst.layout.weight and inst.layout.weight in kept.columns:
        out["weight"] = pd.to_numeric(kept[inst.layout.weight], errors="coerce").to_numpy(float)
    return out
