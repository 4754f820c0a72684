"""Time measurement invariance with sampling weights and robust (MLR) statistics (not run by the
tests).

    python benchmarks/bench_invariance.py                 # 20 countries x 5 dimensions x 2 targets
    python benchmarks/bench_invariance.py --n 1000 --unweighted
    python benchmarks/bench_invariance.py --planted     # violations: release tests, search, alignment

The survey is simulated (``simulate_softpower``, 20 countries, ``--n`` respondents each, seed 7)
and every respondent gets a made-up positive weight (lognormal, seed 7). ``invariance()`` then
fits configural, metric and scalar models of each target x dimension across the 20 countries
with pseudo-ML, robust standard errors and the scaled statistics, the per-country release tests
and, where scalar fails, the partial-invariance search. Prints the seconds and the verdicts.
``--planted`` plants violations for both targets (KOR answers com2 the wrong way round; BRA
answers mor1 one category higher), so that the release tests, the partial search and the
alignment run for two dimensions per target.
The issue's bar: under 30 s on this machine (2 cores). Wall and CPU seconds are both printed:
when other jobs share the cores, the wall time grows and the CPU time does not.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import surveyindex as si  # noqa: E402
from surveyindex.datasets import COUNTRIES  # noqa: E402
from surveyindex.reliability import invariance  # noqa: E402

BENCH_COUNTRIES = COUNTRIES + ["AUS", "CAN", "ITA", "SAU", "RUS", "EGY", "KEN"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=800, help="respondents per country")
    ap.add_argument("--unweighted", action="store_true", help="plain ML instead of MLR")
    ap.add_argument("--planted", action="store_true", help="plant two violations per target")
    args = ap.parse_args()
    inst = si.load_instrument("softpower")
    sim = si.simulate_softpower(n_per_country=args.n, countries=BENCH_COUNTRIES, seed=7,
                                problems=False)
    raw = sim.responses
    if args.planted:
        raw = raw.copy()
        for t in inst.target_codes:
            kor = (raw["country"] == "KOR") & (raw[f"{t}_com2"] <= 5)
            raw.loc[kor, f"{t}_com2"] = 6 - raw.loc[kor, f"{t}_com2"]
            bra = (raw["country"] == "BRA") & (raw[f"{t}_mor1"] <= 5)
            raw.loc[bra, f"{t}_mor1"] = np.minimum(raw.loc[bra, f"{t}_mor1"] + 1, 5)
    resp = si.read_responses(raw, inst)
    w = None if args.unweighted else np.random.default_rng(7).lognormal(0, 0.5, resp.n)
    t0, c0 = time.perf_counter(), time.process_time()
    res = invariance(resp, weights=w)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(f"{len(BENCH_COUNTRIES)} countries x {res.summary['dimension'].nunique()} dimensions x "
          f"{res.summary['target'].nunique()} targets, {resp.n} respondents, "
          f"{'unweighted ML' if w is None else 'weights + MLR'}: {dt:.1f} s wall, {cpu:.1f} s CPU "
          f"(on a busy machine the CPU time is the fairer figure)")
    print(res.summary[["target", "dimension", "level", "verdict"]].to_string(index=False))
    print(res.comparable["comparable"].value_counts().to_string())


if __name__ == "__main__":
    main()
