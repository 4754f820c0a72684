"""Write the two small waves the tracker tests and tracker_waves.R use (run from the repo root).

Two independent simulated waves of the soft-power survey (BRA and JPN, 30 respondents each),
every dimension item answered on the 1-5 scale (missing or don't-know answers replaced by a
seeded draw), so that R can score them with rowMeans and no missing-data rule.
"""

import numpy as np

import surveyindex as si

inst = si.load_instrument("softpower")
cols = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
for k, seed in enumerate((11, 12), start=1):
    sim = si.simulate_softpower(n_per_country=30, countries=["BRA", "JPN"], seed=seed,
                                problems=False)
    df = sim.responses.copy()
    rng = np.random.default_rng(seed)
    for c in cols:
        bad = ~df[c].isin([1, 2, 3, 4, 5])
        df.loc[bad, c] = rng.integers(1, 6, size=int(bad.sum()))
        df[c] = df[c].astype(int)
    df["resp_id"] = [f"W{k}-{i:03d}" for i in range(len(df))]
    df.to_csv(f"tests/reference/data/tracker_w{k}.csv", index=False)
