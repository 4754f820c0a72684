"""Progress bars over the pipeline's stages, when tqdm is installed and someone is watching.

``progress=None`` (the default everywhere) shows a bar only when tqdm is importable and the output
is a terminal or a notebook; so scripts, logs and CI stay quiet. ``True`` insists (and names the
extra to install), ``False`` never shows one.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from .errors import MissingDependencyError


@contextlib.contextmanager
def stages(names: list[str], progress: bool | None = None) -> Iterator[Callable[[], None]]:
    """A context giving ``step()``, to call when each named stage is done.

    >>> with stages(["read", "weight"], progress=False) as step:
    ...     step(); step()
    """
    bar = _bar(names, progress)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if bar is not None:
            bar.update(1)
            if done < len(names):
                bar.set_description_str(names[done])

    try:
        yield step
    finally:
        if bar is not None:
            bar.close()


def _bar(names: list[str], progress: bool | None):
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress:
            raise MissingDependencyError("progress bars need tqdm: pip install "
                                         "'surveyindex[progress]'") from None
        return None
    if progress is None and not (_in_notebook() or sys.stderr.isatty()):
        return None
    # mininterval=0: a handful of stages, each worth drawing, including the last.
    return tqdm(total=len(names), desc=names[0], unit="stage", leave=False, mininterval=0,
                bar_format="{desc:<18} {bar} {n_fmt}/{total_fmt} [{elapsed}]")


def _in_notebook() -> bool:
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    return type(shell).__name__ == "ZMQInteractiveShell"
