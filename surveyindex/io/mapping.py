"""From the file's columns to the instrument's: mapping table, wide pattern, long layout, headers.

After this stage the frame has the instrument's column names (``resp_id``, demographics,
``USA_mor1``...), one row per respondent, and ``lines`` gives each row's line in the file.
"""

from __future__ import annotations

import difflib
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ResponseDataError
from ..instrument import Instrument
from .exports import export_kind, header_names
from .readers import RawTable
from .recode import normalise, recode_column
from .validate import ERROR, NOTE, Issues

LONG_COLUMNS = ("target", "item", "value")


def mapping_table(columns) -> dict[str, str]:
    """A column mapping as ``{file column: instrument column}``.

    ``columns`` is a dict, or a table (DataFrame or CSV/Excel path) with a ``file_column`` column
    and either a ``column`` column (the instrument's name, e.g. ``USA_mor1`` or ``age``) or
    ``target`` and ``item`` columns, which are turned into item column names later.

    >>> mapping_table(pd.DataFrame({"file_column": ["Q1a", "AGE"], "column": ["USA_mor1", "age"]}))
    {'Q1a': 'USA_mor1', 'AGE': 'age'}
    """
    if columns is None:
        return {}
    if isinstance(columns, Mapping):
        return {str(k).strip(): str(v).strip() for k, v in columns.items()}
    if isinstance(columns, (str, Path)):
        path = Path(columns)
        if not path.exists():
            raise ResponseDataError(f"{path}: column mapping file not found")
        columns = (pd.read_excel(path, dtype=str) if path.suffix.lower() in (".xlsx", ".xlsm")
                   else pd.read_csv(path, dtype=str, sep=None, engine="python"))
    if not isinstance(columns, pd.DataFrame):
        raise ResponseDataError(f"columns=: expected a dict, a table or a file path, "
                                f"got {type(columns).__name__}")
    tab = columns.rename(columns=lambda c: str(c).strip().lower())
    if "file_column" not in tab or not ({"column"} <= set(tab) or {"target", "item"} <= set(tab)):
        raise ResponseDataError(
            f"column mapping table: expected columns file_column and column (or file_column, "
            f"target and item), got {list(columns.columns)}")
    if "column" not in tab:
        tab = tab.assign(column="{" + tab["target"].str.strip() + "|" + tab["item"].str.strip() + "}")
    tab = tab.dropna(subset=["file_column", "column"])
    return dict(zip(tab["file_column"].str.strip(), tab["column"].str.strip()))


def rename_columns(raw: RawTable, inst: Instrument, columns, pattern: str | None,
                   issues: Issues) -> pd.DataFrame:
    """The frame with the instrument's column names; duplicated and unmapped names reported.

    ``pattern`` is the file's item-column pattern (e.g. ``"{item}_{target}"``) when it differs
    from the instrument's layout.
    """
    frame = _deduplicate(raw, issues)
    names = {c: c for c in frame.columns}
    if pattern is not None:
        n_items = len(inst.item_ids) + len(inst.single_items)
        if "{item}" not in pattern and n_items > 1:
            raise ResponseDataError(f"pattern={pattern!r}: must contain the placeholder {{item}} "
                                    f"(the instrument has {n_items} items)")
        for t in inst.target_codes:
            for i in [*inst.item_ids, *(s.id for s in inst.single_items)]:
                names[pattern.format(target=t, item=i)] = inst.column(t, i)
    for src, dst in mapping_table(columns).items():
        m = re.fullmatch(r"\{(.+)\|(.+)\}", dst)
        dst = inst.column(m.group(1), m.group(2)) if m else dst
        if src not in frame.columns:
            issues.add_file(src, None, f"a column named {src!r} (named in the column mapping)",
                            "column in the mapping is not in the file")
        names[src] = dst
    _export_headers(frame, inst, names, issues)
    frame = frame.rename(columns={c: names.get(c, c) for c in frame.columns})
    dup = frame.columns[frame.columns.duplicated()].unique().tolist()
    for c in dup:
        issues.add_file(c, None, "one column per name", "two file columns map to the same name")
    raw.variable_labels = {names.get(k, k): v for k, v in raw.variable_labels.items()}
    raw.user_missing = {names.get(k, k): v for k, v in raw.user_missing.items()}
    raw.value_labels = {names.get(k, k): v for k, v in raw.value_labels.items()}
    return frame


def _export_headers(frame: pd.DataFrame, inst: Instrument, names: dict, issues: Issues) -> None:
    """Group paths and question labels (KoboToolbox, ODK Central exports) to column names."""
    mapped = {v for k, v in names.items() if k != v}
    have = set(names.values())
    if all(c in have for c in _item_and_id_columns(inst)):
        return  # a plain file: nothing to look up
    rest = [c for c in frame.columns if names.get(c, c) == c and c not in mapped]
    found = {k: v for k, v in header_names(rest, inst).items() if v not in mapped}
    if not found:
        return
    names.update(found)
    kind = {"kobo": "KoboToolbox", "odk": "ODK Central"}.get(export_kind(frame.columns), "")
    first = next(iter(found.items()))
    issues.add_file("", None, "", f"{kind + ' export: ' if kind else ''}{len(found)} column "
                    f"header(s) read as the form's question names ({first[0]!r} -> "
                    f"{first[1]!r}, ...)", NOTE)


def _item_and_id_columns(inst: Instrument) -> list[str]:
    return [inst.layout.respondent_id, *(inst.column(t, i) for t in inst.target_codes
                                         for i in [*inst.item_ids,
                                                   *(s.id for s in inst.single_items)])]


@dataclass(frozen=True, eq=False)
class LongRecords:
    """The records (rows) of a long file, for the ledger to count and the report to locate.

    ``lines[k]``, ``ids[k]``: record ``k``'s file line and respondent id; ``respondent[k]``: the
    wide row (0-based) of its respondent, -1 for a record without an id; ``ignored[k]``: why
    the record is not used ("" when it is); ``first[r]``: respondent ``r``'s first record.
    ``keys`` (sorted) and ``source`` say which record each answer came from: key
    ``r * len(columns) + j`` for respondent ``r``'s answer in ``columns[j]``. ``report``: the
    problems found in records, with their record's row and line.
    """

    lines: np.ndarray
    ids: np.ndarray
    respondent: np.ndarray
    ignored: np.ndarray
    first: np.ndarray
    columns: list
    keys: np.ndarray
    source: np.ndarray
    report: pd.DataFrame

    def record_of(self, rows: np.ndarray, columns) -> np.ndarray:
        """The record (0-based) behind respondent rows ``rows`` (0-based) in ``columns``: the
        one that gave the answer, for an answer column, else the respondent's first record.

        >>> rec = LongRecords(np.array([2, 3, 4]), np.array(["a", "a", "b"], dtype=object),
        ...                   np.array([0, 0, 1]), np.array(["", "", ""], dtype=object),
        ...                   np.array([0, 2]), ["USA_fav"], np.array([0, 1]), np.array([1, 2]),
        ...                   pd.DataFrame())
        >>> rec.record_of(np.array([0, 0, 1]), ["USA_fav", "age", "USA_fav"]).tolist()
        [1, 0, 2]
        """
        out = self.first[rows].copy()
        j = pd.Index(self.columns).get_indexer(pd.Index(columns, dtype=object))
        answer = j >= 0
        if answer.any() and len(self.keys):
            key = rows[answer] * len(self.columns) + j[answer]
            at = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
            hit = self.keys[at] == key
            out[np.flatnonzero(answer)[hit]] = self.source[at[hit]]
        return out

    def locate(self, table: pd.DataFrame) -> pd.DataFrame:
        """A report whose ``row`` numbers respondents (1-based) with the file's rows and lines
        instead: each problem at the record it is about (:meth:`record_of`)."""
        table = table.copy()
        at = table["row"].notna().to_numpy()
        rec = self.record_of(table.loc[at, "row"].to_numpy(int) - 1,
                             table.loc[at, "column"].to_numpy(object))
        table.loc[at, "row"] = rec + 1
        table.loc[at, "line"] = self.lines[rec]
        return table


def long_to_wide(frame: pd.DataFrame, raw: RawTable, inst: Instrument,
                 issues: Issues) -> tuple[pd.DataFrame, np.ndarray, LongRecords]:
    """Pivot a long file (one row per respondent x target x item) to one row per respondent.

    Respondent-level columns (demographics, weight, duration) are taken from each respondent's
    first record; records naming an unknown target or item, or repeating an answer, are listed
    in the report and ignored (the ledger counts them as rows excluded). Returns the wide
    frame, each respondent's first line, and the records (:class:`LongRecords`).
    """
    idcol = inst.layout.respondent_id
    need = [idcol, *LONG_COLUMNS]
    absent = [c for c in need if c not in frame.columns]
    if absent:
        for c in absent:
            issues.add_file(c, None, f"a column named {c!r}: a long file has the columns "
                            f"{need} (rename others with columns=)", "missing required column")
        issues.raise_if()
    lines = raw.first_line + np.arange(len(frame))
    ids = frame[idcol].map(_id_text).to_numpy(object)
    rec = Issues(issues.file, lines, ids)
    target = frame["target"].astype(str).str.strip().str.upper()
    item = frame["item"].astype(str).str.strip().str.casefold()
    tmap = {t.upper(): t for t in inst.target_codes}
    imap = {i.casefold(): i for i in [*inst.item_ids, *(s.id for s in inst.single_items)]}
    t_ok, i_ok = target.isin(tmap).to_numpy(), item.isin(imap).to_numpy()
    # the reasons the ledger gives the records (without "; ", which joins a row's reasons)
    rec.add(~t_ok, "target", frame["target"], f"one of {inst.target_codes}",
            "unknown target; record ignored", NOTE, "unknown target (record ignored)")
    rec.add(t_ok & ~i_ok, "item", frame["item"], "an item id of the instrument",
            "unknown item; record ignored", NOTE, "unknown item (record ignored)")
    blank_id = frame[idcol].isna().to_numpy()
    rec.add(blank_id, idcol, None, "a respondent id", "missing respondent id; record ignored", NOTE,
            "missing respondent id (record ignored)")
    # a record cut short (a truncated file) may have lost its value: not read as a blank answer
    short = np.zeros(len(frame), dtype=bool)
    short[raw.short_rows[raw.short_rows < len(frame)]] = True
    rec.add(short, "(row)", None, f"{raw.frame.shape[1]} fields, as in the header",
            "row has fewer fields than the header (file truncated?); record ignored", NOTE,
            "row has fewer fields than the header (record ignored)")
    blank_id = blank_id | short  # nor does it give its respondent's demographics
    use = t_ok & i_ok & ~blank_id
    # a unit separator, not NUL: pandas < 3 hashes object strings as C strings, cut at NUL
    sep = "\x1f"
    pairs = {f"{t}{sep}{i}": inst.column(tmap[t], imap[i]) for t in tmap for i in imap}
    col = np.where(use, (target + sep + item).map(pairs).fillna("").to_numpy(object), "")
    key = pd.Series(ids) + sep + pd.Series(col)
    rep = use & key.duplicated(keep="first").to_numpy()
    rec.add(rep, "value", frame["value"], "one answer per respondent, target and item",
            "repeated answer; first kept, record ignored", NOTE,
            "repeated answer (record ignored, the first kept)")
    if rep.any():  # a repeat that disagrees with the first answer is a conflict to show
        text = frame["value"].astype(str).str.strip().to_numpy(object)
        first_of = pd.Series(text[use]).groupby(key[use].to_numpy()).transform("first")
        seen = np.full(len(frame), None, dtype=object)
        seen[np.flatnonzero(use)] = first_of.to_numpy(object)
        differ = np.flatnonzero(rep & (text != seen))
        if len(differ):
            i = differ[0]
            warnings.warn(f"{issues.file}: {len(differ)} repeated answer(s) differ from the "
                          f"respondent's first answer to the same target and item (line "
                          f"{lines[i]}, id {ids[i]}: {text[i]!r}, first {seen[i]!r}); the first "
                          "answer is kept", stacklevel=5)
    ignored = _ignored(rec.table(with_reason=True), len(frame))
    use &= ~rep

    named = np.flatnonzero(~blank_id)  # the records that have a respondent
    people = frame.iloc[named].drop(columns=list(LONG_COLUMNS))
    respondent = np.full(len(frame), -1, dtype=np.int64)
    respondent[named] = pd.factorize(ids[named])[0]  # wide rows in order of first record
    first = ~pd.Series(ids[named]).duplicated().to_numpy()
    # Respondent-level columns should repeat unchanged; where they do not, the first is kept.
    varying = people.groupby(ids[named], sort=False).nunique(dropna=False)
    for c in varying.columns[(varying > 1).any()]:
        who = varying.index[varying[c] > 1]
        rec.add(named[first & np.isin(ids[named], who)], c, frame[c],
                "the same value in every record of a respondent",
                "value differs between a respondent's records; first kept", NOTE)
    wide = people.loc[first].reset_index(drop=True)
    first_lines = lines[named][first]
    cols = [inst.column(t, i) for t in inst.target_codes
            for i in [*inst.item_ids, *(s.id for s in inst.single_items)]]
    cell = np.full((len(wide), len(cols)), np.nan, dtype=object)
    cidx = pd.Index(cols).get_indexer(col[use])
    cell[respondent[use], cidx] = frame["value"].to_numpy(object)[use]
    wide = pd.concat([wide, pd.DataFrame(cell, columns=cols)], axis=1)
    keys = respondent[use] * len(cols) + cidx
    order = np.argsort(keys, kind="stable")
    records = LongRecords(lines, ids, respondent, ignored, named[first], cols, keys[order],
                          np.flatnonzero(use)[order], rec.table(with_reason=True))
    return wide, first_lines, records


def _ignored(table: pd.DataFrame, n: int) -> np.ndarray:
    """Per record, why it is not used ('unknown target; record ignored'...), "" when it is."""
    out = np.full(n, "", dtype=object)
    gone = table[table["problem"].str.endswith("record ignored")]
    if len(gone):
        why = gone.groupby("row", sort=True)["reason"].agg("; ".join)
        out[why.index.to_numpy(int) - 1] = why.to_numpy(object)
    return out


def drop_header_rows(frame: pd.DataFrame, raw: RawTable, inst: Instrument,
                     header_rows: int | None, issues: Issues) -> pd.DataFrame:
    """Remove rows under the header that hold question text rather than answers.

    With ``header_rows=None`` a leading row counts as a header row when at least half its item
    cells are filled, none holds a number or a label of the item's scale, and most hold three
    or more words (an agency export with the question wording under the variable names); the
    text becomes the variable labels and the report notes the rows skipped.
    """
    cols = [(inst.column(t, it.id), inst.scales[d.scale]) for t in inst.target_codes
            for d, it in inst.items() if inst.column(t, it.id) in frame.columns]
    extra = 0
    if header_rows is not None:
        if header_rows < 1:
            raise ResponseDataError(f"header_rows={header_rows}: must be at least 1")
        extra = header_rows - 1
    elif cols:
        while extra < min(3, len(frame)):
            row = frame.iloc[[extra]]
            cells = [(row[c].iloc[0], sc) for c, sc in cols]
            filled = [(v, sc) for v, sc in cells if pd.notna(v)]
            if len(filled) < max(1, len(cells) // 2):
                break
            if any(recode_column(pd.Series([v], dtype=object), sc)[1][0] != 4 for v, sc in filled):
                break
            # Question wording, not a respondent's unknown answer labels: mostly 3+ words.
            if sum(len(str(v).split()) >= 3 for v, _ in filled) < len(filled) / 2:
                break
            extra += 1
    if not extra:
        return frame
    for r in range(extra):
        for c in frame.columns:
            v = frame[c].iloc[r]
            if isinstance(v, str) and c not in raw.variable_labels:
                raw.variable_labels[c] = v
    raw.first_line += extra
    raw.short_rows = raw.short_rows[raw.short_rows >= extra] - extra
    issues.add_file("", None, "", f"{extra} row(s) under the header read as question text "
                    f"(header_rows={extra + 1})", NOTE)
    return frame.iloc[extra:].reset_index(drop=True)


def check_variable_labels(raw: RawTable, inst: Instrument, issues: Issues,
                          threshold: float = 0.8) -> None:
    """Report item columns whose variable label differs from the instrument's item text.

    The item text's ``{target}`` is filled with the target's name (or code); labels and text
    are compared case- and punctuation-insensitively, and one containing the other (an agency
    prefix such as ``Q4a.``) counts as the same.
    """
    if not raw.variable_labels:
        return
    texts = {**{it.id: it.text for _, it in inst.items()},
             **{s.id: s.text for s in inst.single_items}}
    for t in inst.targets:
        for item_id, text in texts.items():
            col = inst.column(t.code, item_id)
            label = raw.variable_labels.get(col)
            if not label:
                continue
            got = _words(label)
            options = [_words(text.format(target=x)) for x in (t.name, t.code)]
            if any(o in got or got in o or difflib.SequenceMatcher(None, o, got).ratio()
                   >= threshold for o in options):
                continue
            issues.add_file(col, label, repr(text.format(target=t.name)),
                            "variable label differs from the instrument's item text", NOTE)


def check_value_labels(raw: RawTable, inst: Instrument, issues: Issues,
                       mode: str = "error") -> None:
    """Compare a SPSS/Stata file's value labels with the instrument's labels of the same codes.

    A code whose file label is the instrument's label of another code (a reversed scale, swapped
    missing codes, gender 1 = "Female" where the instrument says 2) is a contradiction: an error,
    or with ``mode="warn"`` a note in the report (and a warning). Columns whose labels all agree
    are noted as confirmed; labels worded differently but not contradicting are noted.
    """
    if not raw.value_labels:
        return
    confirmed: dict[str, list[str]] = {}
    n_clash = 0
    action = ERROR if mode == "error" else NOTE
    for col, name, labels, also, (lo, hi) in _labelled_columns(inst):
        file_labels = raw.value_labels.get(col)
        if not file_labels:
            continue
        clash = _label_clashes(file_labels, labels, also)
        bad = clash["contradictions"]
        n_clash += len(bad)
        if bad:
            inside = [(c, o) for c, _, _, o in bad if lo <= c <= hi]
            flipped = len(inside) > 1 and all(o is not None and c + o == lo + hi for c, o in inside)
            issues.add_file(col, "; ".join(f"{code} = {got} (instrument: {ours})"
                                           for code, got, ours, _ in bad),
                f"the codes labelled as in {name}"
                + (" (or read with value_labels='warn')" if mode == "error" else ""),
                f"value labels contradict {name}" + (" (the file's scale runs the other way)"
                                                     if flipped and len(bad) > 1 else ""), action)
        for code, got, ours in clash["different"]:
            issues.add_file(col, code, f"{ours!r} as in {name}",
                            f"value label worded differently: code {code} is {got!r} in the file",
                            NOTE)
        if not clash["contradictions"] and clash["agreed"]:
            confirmed.setdefault(name, []).append(col)
    for name, cols in confirmed.items():
        issues.add_file(", ".join(cols[:3]) + (f" and {len(cols) - 3} more" if len(cols) > 3
                                               else ""), None, "the instrument's labels",
                        f"value labels agree with {name} in {len(cols)} column(s): confirmed",
                        NOTE)
    if mode != "error" and n_clash:
        warnings.warn(f"{raw.name}: {n_clash} value label(s) contradict the instrument; codes read as the "
                      "instrument defines them (see the ledger's report)", stacklevel=4)


def _labelled_columns(inst: Instrument):
    """(column, what it is, instrument labels by code, translated labels) for labelled columns."""
    for t in inst.target_codes:
        for dim, item in inst.items():
            sc = inst.scales[dim.scale]
            yield (inst.column(t, item.id), f"scale {dim.scale}", {**sc.labels, **sc.missing},
                   list(sc.translations.values()), (sc.min, sc.max))
        for single in inst.single_items:
            sc = inst.scales[single.scale]
            yield (inst.column(t, single.id), f"scale {single.scale}",
                   {**sc.labels, **sc.missing}, list(sc.translations.values()), (sc.min, sc.max))
    for var, spec in inst.demographics.items():
        if spec.type == "categorical" and spec.codes:
            yield (var, f"demographic {var}", dict(spec.codes),
                   [dict(x.codes) for x in spec.translations.values()],
                   (min(spec.codes), max(spec.codes)))


def _label_clashes(file_labels: dict, labels: dict, also: list[dict]) -> dict:
    """File labels against the instrument's: agreed codes, contradictions, different wording."""
    ours = {float(k): {normalise(v)} | {normalise(x[k]) for x in also if k in x}
            for k, v in labels.items()}
    owner = {n: k for k, names in ours.items() for n in names}
    out = {"agreed": [], "contradictions": [], "different": []}
    for code, text in file_labels.items():
        try:
            c = float(code)
        except (TypeError, ValueError):
            continue  # Stata's extended missing values (.a) have no instrument code to compare
        n = normalise(str(text))
        if n in ours.get(c, set()):
            out["agreed"].append(c)
        elif n in owner:
            out["contradictions"].append((_code(c), str(text), labels.get(_code(c), "no label"),
                                          _code(owner[n])))
        elif c in ours:
            out["different"].append((_code(c), str(text), labels[_code(c)]))
    return out


def _code(c: float):
    return int(c) if float(c).is_integer() else c


def _deduplicate(raw: RawTable, issues: Issues) -> pd.DataFrame:
    frame = raw.frame
    cols = pd.Index(frame.columns)
    keep = np.ones(len(cols), dtype=bool)
    for j, name in enumerate(cols):
        if name == "":
            keep[j] = False
            if frame.iloc[:, j].notna().any():
                issues.add_file(f"column {j + 1}", None, "a column name",
                                "column without a name ignored", NOTE)
    for name in cols[cols.duplicated() & (cols != "")].unique():
        where = np.flatnonzero(cols == name)
        a = frame.iloc[:, where[0]]
        same = all(a.equals(frame.iloc[:, k]) for k in where[1:])
        keep[where[1:]] = False
        if same:
            issues.add_file(name, None, "one column per name",
                            f"duplicated column name (columns {', '.join(map(str, where + 1))}, "
                            "identical contents); first kept", NOTE)
        else:
            issues.add_file(name, None, "one column per name: rename or drop the extra ones",
                            f"duplicated column name (columns {', '.join(map(str, where + 1))}) "
                            "with different contents", ERROR)
    return frame.loc[:, keep]


def _words(text: str) -> str:
    return re.sub(r"[^\w]+", " ", normalise(text)).strip()


def _id_text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
