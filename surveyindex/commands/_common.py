"""What the project-file commands share: the PROJECT argument, overrides, and printing."""

from __future__ import annotations

import argparse
from pathlib import Path

EXAMPLE = "examples/softpower_project.yaml"


def add_parser(sub, name: str, help: str, description: str, examples: list[str]):
    """A sub-parser with the PROJECT argument and an epilog of worked examples."""
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    p = sub.add_parser(name, help=help, description=description, epilog=epilog,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("project", type=Path, metavar="PROJECT.yaml",
                   help="the project file: instrument, responses, margins, settings, outputs "
                        "(see docs/project-file.md)")
    return p


def add_run_options(p) -> None:
    """Options of the commands that run the estimation (run, index, report)."""
    p.add_argument("--replicates", type=_positive, metavar="N",
                   help="override the project's number of bootstrap replicates "
                        "(fewer = faster, for a trial run)")
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def add_workbook_options(p) -> None:
    """Options that shape the workbook: they override the project file's ``report:`` section."""
    p.add_argument("--title", metavar="TEXT",
                   help="the workbook's title (default: report.title, else the instrument's)")
    p.add_argument("--sheets", type=_sheet_list, metavar="NAME,NAME",
                   help="keep only these sheets, comma-separated, e.g. Index,Charts "
                        "(the Summary always stays)")
    p.add_argument("--language", metavar="CODE",
                   help="label targets, dimensions, items and countries in this language "
                        "(one of the instrument's)")


def workbook_overrides(args) -> dict:
    """The ``report:`` fields the command line sets (only those given)."""
    return {k: getattr(args, k) for k in ("title", "sheets", "language")
            if getattr(args, k, None) is not None}


def with_overrides(project, args):
    """The project with the command line's workbook options in its ``report:`` section."""
    update = workbook_overrides(args)
    if not update:
        return project
    return project.model_copy(update={"report": project.report.model_copy(update=update)})


def progress(args) -> bool | None:
    return False if getattr(args, "no_progress", False) else None


def run_and_summarise(args):
    """Load the project, run it without writing, print its summary; return (project, result)."""
    from ..project import load_project, run_project

    project = load_project(args.project)
    res = run_project(project, write=False, progress=progress(args), replicates=args.replicates)
    print_summary(res)
    return project, res


def print_summary(res) -> None:
    """The ledger and the composite table with intervals, as the demo prints them."""
    level = f"{res.index.settings['level']:.0%}"
    print(res.responses.ledger)
    print(f"\nComposite index, 0-100 ({level} CI), audience all:")
    table = res.summary()
    print(table.to_string())
    if (table == "-").any().any():
        print("- : no estimate (the question was not asked there, or no respondent answered it)")


def _sheet_list(text: str) -> list[str]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected sheet names separated by commas, e.g. Index,Charts")
    return names


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"expected at least 2, got {value}")
    return value
