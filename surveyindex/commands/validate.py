"""``surveyindex validate PROJECT.yaml``: check every input before a long run."""

from __future__ import annotations

from . import _common


def register(sub) -> None:
    """Add the ``validate`` sub-command."""
    p = _common.add_parser(
        sub, "validate", help="check a project file, its instrument, responses and margins",
        description="Check the project file's keys, load and validate the instrument, read the "
                    "responses against it (listing excluded rows and warnings) and rake once to "
                    "the margins to check they fit the data. Exit code 0 if everything can be "
                    "run, 1 if not (the message says what and where).",
        examples=[f"surveyindex validate {_common.EXAMPLE}",
                  f"surveyindex validate {_common.EXAMPLE} && surveyindex run "
                  f"{_common.EXAMPLE}"])
    p.set_defaults(func=run)


def run(args) -> int:
    """Validate each input in turn; the first problem raises with its location."""
    from ..design import make_design
    from ..instrument import load_instrument
    from ..io import read_responses
    from ..pipeline import _read_margins
    from ..project import check_inputs, check_outputs, load_project

    p = load_project(args.project)
    print(f"project     {args.project}: ok")
    inst = load_instrument(p.instrument)
    print(f"instrument  {inst.id} {inst.version}: {len(inst.dimensions)} dimensions, "
          f"{len(inst.item_ids)} items, {len(inst.target_codes)} targets: ok")
    audiences = p.index.audiences or list(inst.audiences)
    unknown = [a for a in audiences if a != "all" and a not in inst.audiences]
    if unknown:
        from ..errors import ProjectError

        raise ProjectError(f"{args.project}: index.audiences: {unknown} not defined in the "
                           f"instrument (defined: {['all', *inst.audiences]})")
    check_inputs(p)
    resp = read_responses(p.responses, inst, sheet=p.sheet, **p.reading.options())
    print(f"responses   {resp.ledger}")
    if len(resp.ledger.warnings):
        print(f"            {len(resp.ledger.warnings)} answers outside the scale set to missing")
    by = p.weighting.by or inst.weighting.by
    # The same raking as run: collapse, and every replicate (a replicate that cannot be raked
    # stops run, so it must stop validate too).
    design = make_design(resp, strata=by).with_replicates(
        "bootstrap", n=p.replicates.n, seed=p.replicates.seed).rake(
        _read_margins(p.margins), by=by,
        tolerance=p.weighting.tolerance or inst.weighting.tolerance,
        max_iterations=p.weighting.max_iterations or inst.weighting.max_iterations,
        collapse=p.weighting.collapse)
    step = next(s for s in design.steps if s.get("step") == "rake")
    print(f"margins     {', '.join(step.get('margins', []))} within {by}: raking converged in "
          f"{step.get('iterations')} iterations, {design.n_replicates} replicates raked: ok")
    check_outputs(p)
    named = [k for k in ("workbook", "tables", "weights", "plots") if getattr(p.outputs, k)]
    print(f"outputs     {', '.join(named) or 'none named'}: writable")
    print("valid: ready for 'surveyindex run'")
    return 0
