"""``surveyindex run PROJECT.yaml``: the whole pipeline, writing every output the project names."""

from __future__ import annotations

from . import _common


def register(sub) -> None:
    """Add the ``run`` sub-command."""
    p = _common.add_parser(
        sub, "run", help="run the whole pipeline from a project file and write its outputs",
        description="Read the responses against the instrument, rake each country to its "
                    "margins with bootstrap replicates, compute the index with intervals and "
                    "reliability, and write the outputs listed under 'outputs:' in the project "
                    "file (workbook, tables, weights, plots).",
        examples=[f"surveyindex run {_common.EXAMPLE}",
                  f"surveyindex run {_common.EXAMPLE} --replicates 50   # a quick trial",
                  f"surveyindex run {_common.EXAMPLE} --title 'Wave 2' --sheets Index,Charts",
                  f"surveyindex --debug run {_common.EXAMPLE}            # full traceback on error"])
    _common.add_run_options(p)
    _common.add_workbook_options(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the project, print the summary and list the files written."""
    from ..project import check_outputs, load_project, write_outputs

    # before the long computation, not after it
    check_outputs(_common.with_overrides(load_project(args.project), args))
    project, res = _common.run_and_summarise(args)
    written = write_outputs(res, _common.with_overrides(project, args))
    if not written:
        print(f"\nnothing written: {args.project} lists no outputs (add e.g. "
              "'outputs: {workbook: reports/report.xlsx}')")
    for name, path in written.items():
        print(f"{name} written to {path}")
    return 0
