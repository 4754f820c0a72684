"""``surveyindex index PROJECT.yaml``: the index tables, printed and written as CSV."""

from __future__ import annotations

from pathlib import Path

from . import _common


def register(sub) -> None:
    """Add the ``index`` sub-command."""
    p = _common.add_parser(
        sub, "index", help="compute the index and write its tables as CSV",
        description="Run the pipeline as the project file says, print the composite index with "
                    "intervals, and write every table (composite, dimensions, items, comparison, "
                    "leads, reliability, weighting, bases, exclusions) as CSV files.",
        examples=[f"surveyindex index {_common.EXAMPLE} -o reports/tables",
                  f"surveyindex index {_common.EXAMPLE} --replicates 50 --no-progress"])
    p.add_argument("--output", "-o", type=Path, metavar="FOLDER",
                   help="folder for the CSV tables (default: outputs.tables of the project; "
                        "none: print only)")
    _common.add_run_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the project, print the summary and write the tables."""
    from ..project import load_project, write_outputs
    from ..report import check_writable

    if args.output is not None:  # before the long computation, not after it
        check_writable(args.output, folder=True, what="tables folder")
    elif load_project(args.project).outputs.tables is not None:
        check_writable(load_project(args.project).outputs.tables, folder=True,
                       what="tables folder")
    project, res = _common.run_and_summarise(args)
    folder = args.output or project.outputs.tables
    if folder is not None:
        only = project.outputs.model_copy(update={"workbook": None, "weights": None,
                                                  "plots": None, "tables": folder})
        write_outputs(res, project.model_copy(update={"outputs": only}))
        print(f"\ntables written to {folder}")
    return 0
