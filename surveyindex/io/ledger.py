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

    In a long file (one row per respondent x target x item) the rows are the file's records:
    ``respondents`` says how many respondents they form and ``respondents_excluded`` how many
    of those were excluded; a record is excluded when it is not used (an unknown target, a
    repeated answer...) or when its respondent is, each with its reason. In a wide file each
    row is a respondent and ``respondents`` is None.

    >>> import pandas as pd
    >>> led = Ledger("f.csv", 3, pd.DataFrame({"row": [2], "line": [3], "resp_id": ["b"],
    ...     "reason": ["duplicate respondent id"]}), Ledger.empty_warnings())
    >>> led.rows_kept, led.rows_excluded, led.respondents_kept
    (2, 1, 2)
    """

    source: str
    rows_in: int
    excluded: pd.DataFrame
    warnings: pd.DataFrame
    #: The full validation report (see :mod:`surveyindex.io.validate`): every problem found,
    #: including quality flags and notes on how the file was read; None when not available.
    issues: pd.DataFrame | None = None
    #: Respondents the rows form (a long file's records); None when each row is one.
    respondents: int | None = None
    #: Of those, respondents excluded (every record of theirs is then excluded).
    respondents_excluded: int = 0

    def __post_init__(self) -> None:
        rows = self.excluded["row"] if len(self.excluded) else pd.Series(dtype=int)
        if self.rows_kept < 0 or rows.duplicated().any() or (
                len(rows) and not rows.between(1, self.rows_in).all()) or not (
                0 <= self.respondents_kept <= self.rows_kept):
            raise ResponseDataError(
                f"{self.source}: ledger does not balance ({self.rows_in} rows in, "
                f"{self.rows_excluded} excluded, each excluded row listed once)"
            )

    @staticmethod
    def empty_warnings() -> pd.DataFrame:
        """An empty warnings table with the standard columns."""
        return pd.DataFrame(columns=["row", "line", "resp_id", "column", "value", "expected",
                                     "problem"])

    @property
    def rows_excluded(self) -> int:
        """Number of input rows excluded."""
        return len(self.excluded)

    @property
    def rows_kept(self) -> int:
        """Number of input rows kept (``rows_in - rows_excluded``)."""
        return self.rows_in - self.rows_excluded

    @property
    def respondents_in(self) -> int:
        """Number of respondents the rows form (``rows_in`` when each row is one)."""
        return self.rows_in if self.respondents is None else self.respondents

    @property
    def respondents_kept(self) -> int:
        """Number of respondents kept: those the responses hold."""
        if self.respondents is None:
            return self.rows_kept
        return self.respondents - self.respondents_excluded

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
        if self.respondents is not None:  # a long file: its records form the respondents
            rows += [("respondents in (the rows' records)", self.respondents),
                     ("respondents kept", self.respondents_kept),
                     ("respondents excluded", self.respondents_excluded)]
        rows += [(f"  excluded: {r}", int(n)) for r, n in reasons.items()]
        rows += [("cell warnings (answer set to missing)", len(self.warnings))]
        if self.issues is not None and len(self.issues):
            flagged = self.issues.loc[self.issues["action"] == "flagged", "problem"]
            flagged = flagged.str.replace(r" ?[:(].*$", "", regex=True).value_counts()
            rows += [(f"  flagged, kept: {r}", int(n)) for r, n in flagged.items()]
            rows += [("notes on reading the file",
                      int((self.issues["action"] == "note").sum()))]
        return pd.DataFrame(rows, columns=["item", "count"])

    def report(self) -> pd.DataFrame:
        """The validation report: one row per problem (file, row, line, resp_id, column, value,
        expected, problem, action)."""
        from .validate import empty_report

        return empty_report() if self.issues is None else self.issues

    def describe(self) -> str:
        """The ledger in words: the balance, then every problem grouped, with examples.

        >>> import surveyindex as si
        >>> led = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower")).ledger
        >>> print(led.describe())  # doctest: +ELLIPSIS
        /...softpower_sample.csv: 14553 rows in = 14535 kept + 18 excluded; 0 cell warnings
        /...softpower_sample.csv: 18 problems in 18 rows
          age outside 18-99: 6 cases, row excluded
            line 580 (id X000000): age = '17', expected a number in 18-99
        ...
        """
        from .validate import describe

        return f"{self}\n{describe(self.report(), self.source)}"

    def __repr__(self) -> str:
        return f"<Ledger {self}>"

    def _repr_html_(self) -> str:
        from ..display import card

        facts = [("source", self.source), ("rows in", self.rows_in),
                 ("kept", self.rows_kept), ("excluded", self.rows_excluded),
                 ("cell warnings", len(self.warnings))]
        if self.respondents is not None:
            facts.insert(4, ("respondents", f"{self.respondents} ({self.respondents_kept} kept)"))
        return card("Ledger", facts,
                    tables=[("Summary", self.summary()), ("Excluded rows", self.excluded)],
                    note=".summary(), .excluded, .warnings, .report(), .describe()")

    def __str__(self) -> str:
        who = ("" if self.respondents is None else f", records of {self.respondents} "
               f"respondents ({self.respondents_kept} kept)")
        return (f"{self.source}: {self.rows_in} rows in = {self.rows_kept} kept + "
                f"{self.rows_excluded} excluded{who}; {len(self.warnings)} cell warnings")
