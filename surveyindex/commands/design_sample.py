"""``surveyindex design-sample``: sample sizes, margins of error and quota targets per country."""

from __future__ import annotations

import argparse
import math
from pathlib import Path


def register(sub) -> None:
    """Add the ``design-sample`` sub-command."""
    p = sub.add_parser(
        "design-sample", help="sample size per country from a margin of error, or the margin of "
                              "error of a planned sample, and quota targets",
        description="Plan the sample of each country. With --moe: the respondents needed for that "
                    "margin of error on a proportion, overall and in each audience. With --n: the "
                    "margin of error that sample gives. With --margins: quota targets per country "
                    "(for --n, or for the planned size). Sizes include the design effect and, "
                    "with --instrument, each respondent rating only some of the targets.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--moe", type=float, help="margin of error as a proportion, e.g. 0.03")
    p.add_argument("--n", type=int, help="planned sample size per country")
    p.add_argument("--confidence", type=float, default=0.95, help="confidence level")
    p.add_argument("--deff", type=float, default=1.0, help="expected design effect")
    p.add_argument("--p", type=float, default=0.5, help="expected proportion (0.5 is the safe choice)")
    p.add_argument("--population", type=float, help="population size, for the finite-population "
                                                    "correction (omit for large populations)")
    p.add_argument("--instrument", metavar="FILE",
                   help="instrument whose targets_per_respondent and audiences to plan for")
    p.add_argument("--audience", action="append", default=[], metavar="NAME=SHARE",
                   help="an audience and its share of the population, e.g. g20_youth=0.3 "
                        "(repeatable)")
    p.add_argument("--margins", type=Path, metavar="FILE",
                   help="population margins CSV (country, variable, category, proportion)")
    p.add_argument("--quotas", type=Path, metavar="OUT", help="write the quota targets to this CSV")
    p.set_defaults(func=run)


def run(args) -> int:
    """Print the plan, the margins of error and the quotas asked for."""
    import pandas as pd

    from ..errors import SurveyIndexError
    from ..fieldwork import margin_of_error, quota_targets, sample_plan
    from ..instrument import load_instrument

    if args.moe is None and args.n is None:
        raise SurveyIndexError("design-sample: give --moe (to size the sample) or --n (to get "
                               "its margin of error), or both")
    if args.n is not None and args.n < 1:
        raise SurveyIndexError(f"design-sample: --n is the planned sample per country, at least 1, "
                               f"not {args.n}")
    from ..io import read_margins

    # Read first: a missing or unreadable margins file is said before any plan is printed.
    margins = None if args.margins is None else read_margins(args.margins)
    shares = _shares(args.audience)
    targets, k = 1, None
    if args.instrument:
        inst = load_instrument(args.instrument)
        targets, k = len(inst.targets), inst.targets_rated
        unknown = sorted(set(shares) - set(inst.audiences) - {"all"})
        if unknown:
            raise SurveyIndexError(f"--audience names {unknown}, not audiences of {inst.id} "
                                   f"({sorted(inst.audiences)})")
        if k < targets:
            print(f"{inst.id}: each respondent rates {k} of {targets} targets\n")
    common = {"confidence": args.confidence, "p": args.p, "deff": args.deff,
              "population": args.population}
    n = args.n
    if args.moe is not None:
        plan = sample_plan(args.moe, audiences=shares, targets=targets,
                           targets_per_respondent=k, **common)
        print(f"Sample per country for a margin of error of +/-{args.moe * 100:g} points "
              f"({args.confidence:.0%} confidence, deff {args.deff:g}, p = {args.p:g}):")
        print(plan.to_string(index=False))
        n = n if n is not None else int(plan["country_n"].max())
    if args.n is not None:
        rows = []
        for name, share in {"all": 1.0, **shares}.items():
            ratings = math.floor(args.n * share * (k or targets) / targets + 1e-9)
            pop = None if args.population is None else args.population * share
            moe = (margin_of_error(ratings, **{**common, "population": pop})
                   if ratings >= 1 else float("nan"))
            rows.append({"audience": name, "share": share, "ratings": ratings,
                         "moe": round(moe, 4)})
        print(f"\nMargin of error with n = {args.n} per country:")
        print(pd.DataFrame(rows).to_string(index=False))
    if margins is not None:
        quotas = quota_targets(margins, n)
        print(f"\nQuota targets for n = {n} per country:")
        print(quotas.to_string(index=False))
        if args.quotas is not None:
            from ..report import write_csv

            write_csv(quotas, args.quotas)
            print(f"\nQuotas written to {args.quotas}")
    return 0


def _shares(items: list[str]) -> dict[str, float]:
    from ..errors import SurveyIndexError

    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise SurveyIndexError(f"--audience expects NAME=SHARE such as g20_youth=0.3, got {item!r}")
    return out
