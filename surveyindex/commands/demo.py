"""``surveyindex demo``: the whole pipeline on the bundled sample."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    """Add the ``demo`` sub-command."""
    from ._common import _positive

    demo = sub.add_parser(
        "demo", help="run the whole pipeline on the bundled soft-power sample",
        description="Read the bundled sample (13 countries rating the US and China), rake each "
                    "country to its population margins with bootstrap replicates, compute the "
                    "index with intervals and reliability, and write an Excel report.")
    demo.add_argument("--output", "-o", type=Path, default=Path("reports/softpower_demo.xlsx"),
                      help="where to write the workbook (default: %(default)s)")
    demo.add_argument("--replicates", type=_positive, default=200, metavar="N",
                      help="number of bootstrap replicates (default: %(default)s)")
    demo.add_argument("--seed", type=int, default=1, help="random seed (default: %(default)s)")
    demo.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    from ._common import add_workbook_options

    add_workbook_options(demo)
    demo.set_defaults(func=run)


def run(args) -> int:
    """Run the demo and print the summary."""
    from ..pipeline import run_pipeline, write_report
    from ..report import check_writable
    from ._common import workbook_overrides

    check_writable(args.output, suffix=".xlsx", what="workbook")  # before the computation
    res = run_pipeline(replicates=args.replicates, seed=args.seed,
                       progress=False if args.no_progress else None)
    out = write_report(res, args.output, **workbook_overrides(args))
    print(res.responses.ledger)
    print("\nComposite soft-power index, 0-100 (95% CI), all adults:")
    print(res.summary().to_string())
    leads = res.index.leads
    leads = leads[leads["audience"] == "all"]
    print(f"\nCountries where each target is rated higher ({leads['target_a'].iloc[0]} vs "
          f"{leads['target_b'].iloc[0]}; 95% interval; significant after Holm):")
    for _, row in leads.iterrows():
        a, b = row["target_a"], row["target_b"]
        print(f"  {row['measure']:<11} {a} {row[f'{a}_leads']:>2} of {row['n_countries']} "
              f"({row[f'{a}_leads_ci_low']:.0f}-{row[f'{a}_leads_ci_high']:.0f}; "
              f"{row[f'{a}_leads_significant']} sig.)"
              f"   {b} {row[f'{b}_leads']:>2} of {row['n_countries']} "
              f"({row[f'{b}_leads_ci_low']:.0f}-{row[f'{b}_leads_ci_high']:.0f}; "
              f"{row[f'{b}_leads_significant']} sig.)")
    print(f"\nWorkbook written to {out}")
    return 0
