"""Command line: ``surveyindex COMMAND``, one sub-command per stage, plus ``run`` for all of them.

Exit codes scripts can rely on: 0 success; 1 a problem with the input (the message names the
file, row, column or key, on one line of standard error); 2 bad command-line usage; 3 an internal
error (a bug: rerun with ``--debug`` and report the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings

from ._version import __version__
from .commands import MODULES
from .errors import SurveyIndexError

OK, INPUT_ERROR, USAGE, INTERNAL, INTERRUPTED = 0, 1, 2, 3, 130

_EPILOG = """\
typical session:
  surveyindex demo                                   # the bundled example, end to end
  surveyindex validate examples/softpower_project.yaml
  surveyindex run examples/softpower_project.yaml    # workbook, tables, weights, plots
  surveyindex run examples/softpower_project.yaml --replicates 50   # a quick trial

Each command has its own help: surveyindex run --help. A project file names the instrument, the
response file, the margins, the settings and the outputs; see docs/project-file.md.

exit codes: 0 ok, 1 input problem (message says where), 2 usage error, 3 internal error
"""


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``surveyindex`` command; returns the exit code.

    >>> main(["--version"])
    surveyindex 0.1.0
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"surveyindex {__version__}")
        return OK
    if args.command is None:
        parser.print_help(sys.stderr)
        return USAGE
    try:
        with _quiet_numpy(), _pipe_safe_stdout(), _term_as_interrupt():
            return args.func(args)
    except SurveyIndexError as exc:
        if args.debug:
            raise
        print(f"surveyindex: error: {_one_line(exc)}", file=sys.stderr)
        return INPUT_ERROR
    except KeyboardInterrupt:
        print("surveyindex: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:  # a bug, not the user's input: say so, and how to see more
        if args.debug:
            raise
        print(f"surveyindex: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(this is a bug; rerun with --debug for the traceback and report it)",
              file=sys.stderr)
        return INTERNAL


class _PipeSafe:
    """Standard output that goes quiet when the reader leaves (``surveyindex run ... | head -1``).

    The run carries on and writes its outputs; what it would have printed is dropped. The file
    descriptor is pointed at /dev/null so that Python's own flush at exit does not fail either.
    """

    def __init__(self, stream):
        self._stream, self._closed = stream, False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._close()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._close()

    def _close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _pipe_safe_stdout():
    old = sys.stdout
    sys.stdout = _PipeSafe(old)
    try:
        yield
    finally:
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()
        sys.stdout = old


@contextlib.contextmanager
def _quiet_numpy():
    # A NaN from an empty cell is reported in the tables; numpy's own RuntimeWarnings about it
    # ("Mean of empty slice", "invalid value") mean nothing to a CLI user. surveyindex's own
    # warnings (UserWarning) still show.
    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.showwarning = _show_warning
        yield


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    # One line a user can read, not the source file and line of the warnings.warn call.
    print(f"surveyindex: warning: {_one_line(message)}", file=sys.stderr)


@contextlib.contextmanager
def _term_as_interrupt():
    """SIGTERM (kill, a scheduler's timeout) handled as Ctrl-C: temporary files are cleaned up."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        old = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (main() called from a worker): leave it alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def _one_line(exc: BaseException) -> str:
    """The message on one line: multi-line messages (a list of problems) joined by '; '."""
    return "; ".join(part.strip() for part in str(exc).splitlines() if part.strip())


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="surveyindex",
        description="Perception surveys to composite indices, with design-correct uncertainty: "
                    "read responses against a questionnaire definition, weight each country to "
                    "its population, and estimate dimension and composite scores, ranks and "
                    "paired differences with intervals, in an Excel report.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--debug", action="store_true",
                   help="on error, show the full traceback instead of one line")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
