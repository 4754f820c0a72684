"""Notebook displays shared by the core objects: a short text repr, an HTML card, and plots
that display themselves.

Every object a notebook user meets (instrument, responses, ledger, design, estimates,
reliability results, index and pipeline results) shows a one-line ``repr`` and a small HTML
card: what it is, its size, and where to look next. Neither ever prints replicate weights or
whole data frames. :class:`FigureView` wraps a matplotlib figure so that it renders as a PNG in
any fresh kernel, whether or not ``%matplotlib inline`` was run or pyplot imported.
"""

from __future__ import annotations

import html
import io

import pandas as pd

_STYLE = ("<style>.si-card table{font-size:12px}.si-card h4{margin:.4em 0 .3em}"
          ".si-card .si-note{color:#666;font-size:11px}</style>")


def card(title: str, facts: list[tuple[str, object]], tables=(), note: str = "") -> str:
    """HTML card: a title, a two-column list of facts, optional (caption, DataFrame) tables
    (at most 20 rows shown each) and a note on where the full data are.

    >>> "<b>n</b>" in card("Design", [("n", 10)])
    True
    """
    rows = "".join(f"<tr><td><b>{html.escape(str(k))}</b></td><td>{html.escape(str(v))}</td></tr>"
                   for k, v in facts)
    parts = [_STYLE, '<div class="si-card">', f"<h4>{html.escape(title)}</h4>",
             f"<table>{rows}</table>"]
    for caption, frame in tables:
        if frame is None or len(frame) == 0:
            continue
        more = f" (first 20 of {len(frame)})" if len(frame) > 20 else ""
        parts += [f"<p><b>{html.escape(caption)}</b>{more}</p>",
                  frame.head(20).to_html(index=False, float_format=lambda v: f"{v:.4g}")]
    if note:
        parts.append(f'<p class="si-note">{html.escape(note)}</p>')
    parts.append("</div>")
    return "".join(parts)


def short(name: str, facts: list[tuple[str, object]]) -> str:
    """``<Name k v, k v, ...>``: the one-line text form.

    >>> short("SurveyDesign", [("n", 3), ("strata", None)])
    '<SurveyDesign n 3, strata None>'
    """
    return f"<{name} " + ", ".join(f"{k} {v}" for k, v in facts) + ">"


def frame_facts(df: pd.DataFrame) -> str:
    return f"{len(df)} rows x {len(df.columns)} columns"


class FigureView:
    """A matplotlib figure that displays itself (``_repr_png_``) in a fresh kernel.

    ``.figure`` is the figure; ``.savefig(...)`` and other attributes are the figure's.

    >>> import pytest; _ = pytest.importorskip("matplotlib")
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 1)); _ = fig.add_subplot().set_title("t")
    >>> view = FigureView(fig, "example")
    >>> view._repr_png_()[:4] == b"\\x89PNG", repr(view)
    (True, '<FigureView example: .figure, .savefig(path)>')
    """

    def __init__(self, figure, title: str = ""):
        self.figure = figure
        self.title = title

    def _repr_png_(self) -> bytes:
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=100)
        return buf.getvalue()

    def savefig(self, *args, **kwargs):
        return self.figure.savefig(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__") or name == "figure":
            raise AttributeError(name)
        return getattr(self.figure, name)

    def __repr__(self) -> str:
        return f"<FigureView {self.title}: .figure, .savefig(path)>"


class PlotAccessor:
    """``result.plot``: the plots of an index result, each displaying itself.

    ``forest(a=None, b=None, measure="composite", audience="all")`` paired differences by
    country (the first two targets unless ``a``, ``b`` given), ``profile(audience="all")``
    dimension scores, ``ranks(audience="all")`` rank intervals; ``weighting()`` the weights
    (pipeline results only).
    """

    def __init__(self, index, design=None):
        self._index, self._design = index, design

    def forest(self, a: str | None = None, b: str | None = None, measure: str = "composite",
               audience: str = "all") -> FigureView:
        from .plot import forest_plot

        comparison = (self._index.comparison if a is None and b is None
                      else self._index.compare(*self._pair(a, b))[0])
        return FigureView(forest_plot(comparison, measure=measure, audience=audience),
                          f"forest {measure} {audience}")

    def profile(self, audience: str = "all") -> FigureView:
        from .plot import profile_plot

        return FigureView(profile_plot(self._index.dimensions, audience=audience,
                                       level=self._index.settings["level"]),
                          f"profile {audience}")

    def ranks(self, audience: str = "all") -> FigureView:
        from .plot import rank_plot

        return FigureView(rank_plot(self._index.composite, audience=audience),
                          f"ranks {audience}")

    def weighting(self, by: str = "country") -> FigureView:
        from .errors import ReportError
        from .plot import weighting_plot

        if self._design is None:
            raise ReportError("the weighting plot needs the design: use it on a pipeline "
                              "result (res.plot.weighting()) or call plot.weighting_plot(design)")
        return FigureView(weighting_plot(self._design, by=by), f"weighting by {by}")

    def _pair(self, a, b):
        targets = self._index.settings["targets"]
        return (a or targets[0], b or next(t for t in targets if t != a))

    def __repr__(self) -> str:
        return "<plots: .forest(), .profile(), .ranks(), .weighting()>"
