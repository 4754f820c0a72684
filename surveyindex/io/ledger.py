"""The ledger: every input row accounted for, kept or excluded with its reasons."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import ResponseDataError


@dataclass(frozen=True)
class Ledger:
    """What happened to each row of a response file.

    ``excluded`` has one row per excluded input row (``row`` is the 1-based data row, the header
    not counted; ``line`` is the line in a CSV file), ``warnings`` one row per cell-level problem
    that did not exclude the row (e.g. an out-of-range answer set to missing).

    >>> import pandas as pd
    >>> led = Ledger("f.csv", 3, pd.DataFrame({"row": [2], "line": [3], "resp_id": ["b"],
    ...     "reason": ["duplicate respondent id"]}), Ledger.empty_warnings())
    >>> led.rows_kept, led.rows_excluded
    (2, 1)
    """

    source: str
    rows_in: int
    excluded: pd.DataFrame
    warnings: pd.DataFrame

    def __post_init__(self) -> None:
        if self.rows_kept < 0:
            raise ResponseDataError(
                f"{self.source}: ledger does not balance ({self.rows_in} rows in, "
                f"{self.rows_excluded} excluded)"
            )

    @staticmethod
    def empty_warnings() -> pd.DataFrame:
        """An empty warnings table with the standard columns."""
        return pd.DataFrame(columns=["row", "line", "resp_id", "column", "value", "problem"])

    @property
    def rows_excluded(self) -> int:
        """Number of input rows excluded."""
        return len(self.excluded)

    @property
    def rows_kept(self) -> int:
        """Number of input rows kept (``rows_in - rows_excluded``)."""
        return self.rows_in - self.rows_excluded

    def summary(self) -> pd.DataFrame:
        """Counts of rows in, kept and excluded, and of excluded rows per reason.

        A row excluded for two reasons counts once under each reason, and once in ``excluded``;
        reasons are counted without their row-specific detail in brackets.
        """
        reasons = (
            self.excluded["reason"].str.split("; ").explode()
            .str.replace(r" \(.*\)$", "", regex=True).value_counts()
            if len(self.excluded) else pd.Series(dtype=int)
        )
        rows = [("rows in", self.rows_in), ("rows kept", self.rows_kept),
                ("rows excluded", self.rows_excluded)]
        rows += [(f"  excluded: {r}", int(n)) for r, n in reasons.items()]
        rows += [("cell warnings (answer set to missing)", len(self.warnings))]
        return pd.DataFrame(rows, columns=["item", "count"])

    def __str__(self) -> str:
        return (f"{self.source}: {self.rows_in} rows in = {self.rows_kept} kept + "
                f"{self.rows_excluded} excluded; {len(self.warnings)} cell warnings")
