"""Command line: ``surveyindex demo`` runs the whole pipeline on the bundled sample."""

from __future__ import annotations

import argparse
import sys

from ._version import __version__
from .commands import MODULES
from .errors import SurveyIndexError


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``surveyindex`` command; returns the exit code.

    Exit codes: 0 success, 1 a problem with the input (the message says what), 2 bad arguments.

    >>> main(["--version"])
    surveyindex 0.1.0
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"surveyindex {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except SurveyIndexError as exc:
        if args.debug:
            raise
        print(f"surveyindex: error: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="surveyindex",
        description="Perception surveys to composite indices, with design-correct uncertainty.",
    )
    p.add_argument("--version", action="store_true", help="print the version and exit")
    p.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return p


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
