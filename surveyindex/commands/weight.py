"""``surveyindex weight PROJECT.yaml``: rake to the margins, print diagnostics, write the weights."""

from __future__ import annotations

from pathlib import Path

from . import _common


def register(sub) -> None:
    """Add the ``weight`` sub-command."""
    p = _common.add_parser(
        sub, "weight", help="rake each country to its margins and write the weights",
        description="Read the responses, rake each group (by default each country) to its "
                    "population margins, print the weighting diagnostics (Kish design effect, "
                    "effective n, weight range) and write one weight per respondent as CSV. No "
                    "replicates are made: the final weights are those 'run' uses (to within the "
                    "raking tolerance).",
        examples=[f"surveyindex weight {_common.EXAMPLE} -o reports/weights.csv"])
    p.add_argument("--output", "-o", type=Path, metavar="FILE.csv",
                   help="where to write the weights (default: outputs.weights of the project; "
                        "none: print the diagnostics only)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Rake and report."""
    from ..instrument import load_instrument
    from ..io import margin_codes, read_margins, read_responses
    from ..pipeline import base_design, weight_design
    from ..project import load_project, write_weights
    from ..report import check_writable

    p = load_project(args.project)
    target = args.output or p.outputs.weights
    if target is not None:
        check_writable(target, what="weights file")
    inst = load_instrument(p.instrument)
    resp = read_responses(p.responses, inst, sheet=p.sheet, roles=p.columns.roles() or None,
                          required=p.required, **p.reading.options())
    w = inst.weighting
    by = p.weighting.by or w.by
    margins = None if p.margins is None else margin_codes(read_margins(p.margins), inst)
    design = weight_design(
        base_design(resp, by), margins, by=by, weighting=p.weighting.method,
        tolerance=p.weighting.tolerance or w.tolerance,
        max_iterations=p.weighting.max_iterations or w.max_iterations,
        collapse=p.weighting.collapse, trim=p.weighting.trim.model_dump() if p.weighting.trim else None)
    print(resp.ledger)
    print("\nWeighting diagnostics:")
    print(design.diagnostics(by=by).to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if target is not None:
        out = write_weights(design, target, neutralise=p.outputs.neutralise_formulas)
        print(f"\nweights written to {out}")
    return 0
