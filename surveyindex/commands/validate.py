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
    from ..instrument import load_instrument
    from ..io import margin_codes, read_margins, read_responses
    from ..pipeline import base_design, weight_design
    from ..project import check_inputs, check_outputs, load_project

    p = load_project(args.project)
    print(f"project     {args.project}: ok")
    inst = load_instrument(p.instrument)
    print(f"instrument  {inst.id} {inst.version}: {len(inst.dimensions)} dimensions, "
          f"{len(inst.item_ids)} items, {len(inst.target_codes)} targets: ok")
    check_inputs(p)
    resp = read_responses(p.responses, inst, sheet=p.sheet, roles=p.columns.roles() or None,
                          required=p.required, **p.reading.options())
    print(f"responses   {resp.ledger}")
    if len(resp.ledger.warnings):
        # Each kind with its count and first line (not all of them are answers outside the scale:
        # an unknown label read as missing, a date in an item column, an optional demographic).
        w = resp.ledger.warnings
        kinds = w.groupby("problem", sort=False).agg(count=("line", "size"), line=("line", "first"),
                                                     column=("column", "first"),
                                                     value=("value", "first"))
        for problem, k in kinds.sort_values("count", ascending=False).head(3).iterrows():
            print(f"            {k['count']} x {problem.split('; set to missing')[0]} (first: line "
                  f"{k['line']}, {k['column']} = {k['value']!r}): set to missing")
        if len(kinds) > 3:
            print(f"            ... and {len(kinds) - 3} more kinds (the ledger's report lists them)")
    by = p.weighting.by or inst.weighting.by
    if p.margins is None:
        # No weighting, but the same design and replicates as run (a blank PSU, a stratum with
        # one PSU under JKn stop run, so they must stop validate too).
        design = base_design(resp, by).with_replicates(
            p.replicates.method, n=p.replicates.n, seed=p.replicates.seed,
            fay_rho=p.replicates.fay_rho)
        print(f"margins     none: the file's weights are used as they are "
              f"({resp.instrument.layout.weight or 'equal weights'}), "
              f"{design.n_replicates} {p.replicates.method} replicates: ok")
    else:
        # The same weighting as run: replicates, collapse and trimming (a replicate that cannot
        # be raked stops run, so it must stop validate too).
        design = weight_design(
            base_design(resp, by).with_replicates(p.replicates.method, n=p.replicates.n,
                                                  seed=p.replicates.seed,
                                                  fay_rho=p.replicates.fay_rho),
            margin_codes(read_margins(p.margins), inst), by=by,
            weighting=p.weighting.method,
            tolerance=p.weighting.tolerance or inst.weighting.tolerance,
            max_iterations=p.weighting.max_iterations or inst.weighting.max_iterations,
            collapse=p.weighting.collapse,
            trim=p.weighting.trim.model_dump() if p.weighting.trim else None)
        step = next(s for s in design.steps if s.get("step") in ("rake", "calibrate"))
        print(f"margins     {', '.join(step.get('margins', step.get('variables', [])))} within "
              f"{by}: {p.weighting.method} converged in {step.get('iterations')} iterations, "
              f"{design.n_replicates} replicates weighted: ok")
    check_outputs(p)
    named = [k for k in ("workbook", "tables", "weights", "plots") if getattr(p.outputs, k)]
    print(f"outputs     {', '.join(named)}: writable" if named else "outputs     none named")
    print("valid: ready for 'surveyindex run'")
    return 0
