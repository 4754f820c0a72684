"""``surveyindex report PROJECT.yaml``: run the project and write only its Excel workbook."""

from __future__ import annotations

from pathlib import Path

from . import _common


def register(sub) -> None:
    """Add the ``report`` sub-command."""
    p = _common.add_parser(
        sub, "report", help="run a project and write its Excel workbook",
        description="Run the pipeline as the project file says and write the formatted Excel "
                    "workbook: summary, index, dimensions, profile, comparison, leads, items, "
                    "reliability, weighting, sample bases, exclusions and methodology.",
        examples=[f"surveyindex report {_common.EXAMPLE}",
                  f"surveyindex report {_common.EXAMPLE} -o reports/draft.xlsx --replicates 50",
                  f"surveyindex report {_common.EXAMPLE} --title 'Soft power 2026' --language en"])
    p.add_argument("--output", "-o", type=Path, metavar="FILE.xlsx",
                   help="where to write the workbook (default: outputs.workbook of the project)")
    _common.add_run_options(p)
    _common.add_workbook_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the project and write the workbook."""
    from ..errors import ProjectError
    from ..pipeline import write_report
    from ..project import check_report_options, load_project, report_options, run_project

    project = _common.with_overrides(load_project(args.project), args)
    target = args.output or project.outputs.workbook
    if target is None:
        raise ProjectError(f"{args.project}: no workbook to write: give --output FILE.xlsx or "
                           "set outputs.workbook in the project file")
    from ..report import check_writable

    check_writable(target, suffix=".xlsx", what="workbook")
    check_report_options(project)
    res = run_project(project, write=False, progress=_common.progress(args),
                      replicates=args.replicates)
    print(f"workbook written to {write_report(res, target, **report_options(project))}")
    return 0
