"""Delimited text parsed by Arrow's CSV reader straight into cleaned cells.

Arrow parses on every core and hands each column over as text; a column of codes or labels is
then dictionary-encoded by Arrow (its distinct values in order of first appearance, as
``pandas.factorize`` gives them) and cleaned once per distinct value, so no cell goes through
a Python hash. The cells, codes and cleaned values are the ones
:func:`surveyindex.io.readers.clean_cells` makes from pandas' own parse of the same text.
Every field is read as text, whatever it looks like (ids such as 007 keep their zeros).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._threads import run_parallel
from ..errors import ResponseDataError
from .readers import _clean_cell, _clean_strings, _small, few_values, per_value, record_factorized


def parse(data: bytes, sep: str):
    """The text's fields as an Arrow table of string columns, the header as its first row;
    None when pyarrow is missing or refuses the text (rows of another length, a quote left
    open), so that pandas' C engine parses it and reports what is wrong.

    >>> parse(b"a,b\\n1, x\\n", ",").to_pydict()
    {'f0': ['a', '1'], 'f1': ['b', ' x']}
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    # Every column as text: names of more columns than the first line can have (its
    # delimiters, quoted or not, plus one) are given; Arrow ignores the names it does not meet.
    first = data[:data.find(b"\n") if b"\n" in data else len(data)]
    width = first.count(sep.encode("utf-8")) + 1
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True),
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(width)},
                null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False))
    except Exception:  # noqa: BLE001 - any refusal: the C engine gives the user's message
        return None
    if not table.num_rows or any(t != pa.string() for t in table.schema.types):
        return None
    return table


def clean_table(table, name: str, factorized: dict | None = None) -> pd.DataFrame:
    """The cleaned cells of :func:`parse`'s table: the first row as column names (stripped),
    then one object column per field, text stripped and blank markers NaN; columns cleaned
    per distinct value are recorded in ``factorized`` as :func:`clean_cells` records them.

    >>> clean_table(parse(b"id,q1\\n007, 2 \\n008,NA\\n", ","), "f.csv").to_dict("list")
    {'id': ['007', '008'], 'q1': ['2', nan]}
    """
    header = [str(table.column(j)[0].as_py()).strip() for j in range(table.num_columns)]
    if not any(header):
        raise ResponseDataError(f"{name}: the first row has no column names")
    body = table.slice(1)
    # Arrow's kernels release the GIL: columns are cleaned side by side on the cores.
    parts = run_parallel(lambda j: _clean_column(body.column(j)), body.num_columns)
    clean = pd.DataFrame({j: pd.Series(cells, dtype=object, copy=False)
                          for j, (cells, _) in enumerate(parts)}, copy=False)
    clean.columns = header
    record_factorized(clean, {j: part for j, (_, part) in enumerate(parts) if part is not None},
                      factorized)
    return clean


def _clean_column(col) -> tuple[np.ndarray, tuple | None]:
    """Cleaned object cells of one text column, and (codes, cleaned values) when the column
    was cleaned per distinct value (the choice :func:`clean_strings` makes)."""
    n = len(col)
    if per_value(n, lambda: len(col.slice(0, 2000).unique())):
        enc = col.dictionary_encode().combine_chunks()
        uniques = enc.dictionary.to_pylist()
        if few_values(n, len(uniques)):
            codes = enc.indices.to_numpy(zero_copy_only=False)
            values = np.array([_clean_cell(v) for v in uniques] + [np.nan], dtype=object)
            return values[codes], (_small(codes), values[:-1])
    # mostly distinct (ids, open text): cleaned vectorised on pandas' Arrow strings
    cells, _ = _clean_strings(pd.Series(pd.arrays.ArrowStringArray(col), copy=False))
    return cells.to_numpy(), None
