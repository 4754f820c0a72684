"""The exceptions surveyindex raises.

Every error a user can cause is a :class:`SurveyIndexError`, so a script can catch one type, and the
message names where the problem is (file, row, column or instrument key) and what was expected.

>>> from surveyindex.errors import InstrumentError, SurveyIndexError
>>> issubclass(InstrumentError, SurveyIndexError)
True
"""

from __future__ import annotations


class SurveyIndexError(Exception):
    """Base class of every error raised on bad input or an impossible request."""


class InstrumentError(SurveyIndexError):
    """The instrument (questionnaire definition) is missing, malformed or inconsistent."""


class ResponseDataError(SurveyIndexError):
    """A response file cannot be read or does not match the instrument."""


class WeightingError(SurveyIndexError):
    """Weights cannot be computed: bad margins, empty cells, no convergence."""


class EstimationError(SurveyIndexError):
    """An estimate was asked for that the design or the data cannot support."""


class ReportError(SurveyIndexError):
    """The report cannot be written."""


class ProjectError(SurveyIndexError):
    """The project file (``surveyindex run PROJECT.yaml``) is missing, malformed or inconsistent."""


class UnknownNameError(SurveyIndexError, KeyError):
    """A name looked up that is not there (``est["agee"]``, a dimension): a ``KeyError`` too, so
    ``except KeyError`` and ``in`` style code keep working, with the message shown as it is.

    >>> err = UnknownNameError("'agee' is not a variable of these estimates; variables: ['age']")
    >>> isinstance(err, KeyError), str(err)
    (True, "'agee' is not a variable of these estimates; variables: ['age']")
    """

    __str__ = Exception.__str__


class MissingDependencyError(SurveyIndexError, ImportError):
    """An optional dependency is needed; the message names the extra to install."""


def require(obj, kind, what: str, expected: str, error: type[SurveyIndexError] = SurveyIndexError):
    """``obj`` when it is a ``kind``; else ``error`` saying what ``what`` must be.

    The public functions check their main argument with it, so a wrong object is a message a
    researcher can act on, not an AttributeError from deep inside.

    >>> require(None, dict, "margins", "a dict of targets (from si.io.read_margins)")
    Traceback (most recent call last):
    ...
    surveyindex.errors.SurveyIndexError: margins must be a dict of targets (from si.io.read_margins), not None
    """
    if not isinstance(obj, kind):
        name = type(obj).__name__
        got = "None" if obj is None else f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name}"
        raise error(f"{what} must be {expected}, not {got}")
    return obj
