"""The bundled soft-power sample and the simulator that makes it.

The simulator draws an online-panel-like sample (too young, too educated) from known populations, so
the pipeline's estimates can be checked against the true population values it also returns. Population
demographics are independent across margins and the answers depend additively on them, so raking to
the margins removes the selection bias exactly in expectation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from ._resources import bundled_dir
from .errors import SurveyIndexError
from .instrument import Instrument, load_instrument

#: Surveyed countries: twelve G20 members besides the targets, and Nigeria (outside the G20).
COUNTRIES = ["ARG", "BRA", "DEU", "FRA", "GBR", "IDN", "IND", "JPN", "KOR", "MEX", "TUR", "ZAF", "NGA"]
#: Adult population, millions (rounded; used for population-proportional pooling).
ADULTS = {"ARG": 33, "BRA": 160, "DEU": 70, "FRA": 52, "GBR": 53, "IDN": 190, "IND": 950,
          "JPN": 105, "KOR": 44, "MEX": 92, "TUR": 62, "ZAF": 40, "NGA": 110}
# Leaning towards each target, in latent units: China's lead on education ranges from clearly
# positive (NGA, IDN, ZAF) to clearly negative (JPN, KOR, DEU).
_LEAN_CHN = {"ARG": 0.05, "BRA": 0.25, "DEU": -0.45, "FRA": -0.30, "GBR": -0.40, "IDN": 0.55,
             "IND": -0.20, "JPN": -0.70, "KOR": -0.55, "MEX": 0.00, "TUR": 0.30, "ZAF": 0.45,
             "NGA": 0.65}
_LEAN_USA = {"ARG": -0.10, "BRA": 0.20, "DEU": -0.15, "FRA": -0.25, "GBR": 0.05, "IDN": -0.20,
             "IND": 0.30, "JPN": 0.25, "KOR": 0.35, "MEX": 0.10, "TUR": -0.45, "ZAF": -0.05,
             "NGA": 0.30}
# Target profile across dimensions (morality, competence, culture, technology, education).
_PROFILE = {"USA": [-0.15, 0.35, 0.55, 0.60, 0.55], "CHN": [-0.35, 0.45, 0.05, 0.55, 0.35]}
# Age and education gradients per target and dimension: the young and the educated like the US's
# culture and technology more, and China's less, so an unweighted panel overstates the US.
_AGE_SLOPE = {"USA": [-0.10, -0.05, -0.45, -0.35, -0.25], "CHN": [0.15, 0.20, 0.10, 0.05, 0.10]}
_EDU_SLOPE = {"USA": [0.10, 0.15, 0.35, 0.30, 0.35], "CHN": [-0.20, -0.10, -0.15, -0.05, -0.10]}
# Selection into the panel relative to the population, per category.
_SELECT = {"age_group": [1.9, 1.5, 1.1, 0.85, 0.6, 0.4], "gender": [1.0, 1.0],
           "education": [0.35, 0.7, 1.1, 2.0], "region": [1.2, 1.0, 0.9, 0.85]}
_CUTS = np.array([-1.5, -0.5, 0.5, 1.5])
_SD_PERSON, _SD_DIM, _SD_ITEM = 0.6, 0.4, 0.7


@dataclass(frozen=True)
class SimulatedSurvey:
    """A simulated survey: the wide response file, population margins, sizes and the truth."""

    responses: pd.DataFrame
    margins: pd.DataFrame
    populations: pd.DataFrame
    truth: pd.DataFrame


def sample_paths() -> dict[str, Path]:
    """Paths of the bundled sample files.

    >>> sorted(sample_paths())
    ['margins', 'populations', 'responses', 'truth']
    >>> sample_paths()["responses"].name
    'softpower_sample.csv'
    """
    d = bundled_dir("sample_data")
    return {
        "responses": d / "softpower_sample.csv",
        "margins": d / "margins.csv",
        "populations": d / "populations.csv",
        "truth": d / "truth.csv",
    }


def real_file_examples() -> dict[str, Path]:
    """Project files of the bundled real-layout examples (docs/real-files.md).

    ``pew`` (label text, DK and Refused, final weights), ``kobo`` (a KoboToolbox export, margins
    by label), ``odk`` (an ODK Central export with strata and PSUs), ``spss`` (a .sav with value
    labels and user-missing codes).

    >>> sorted(real_file_examples())
    ['kobo', 'odk', 'pew', 'spss']
    >>> real_file_examples()["pew"].name
    'project.yaml'
    """
    d = bundled_dir("examples/real-files")
    return {name: d / name / "project.yaml" for name in ("kobo", "odk", "pew", "spss")}


def simulate_softpower(
    n_per_country: int | dict[str, int] | None = None,
    countries: list[str] | None = None,
    seed: int = 20261123,
    problems: bool = True,
    instrument: Instrument | None = None,
) -> SimulatedSurvey:
    """Simulate the soft-power survey; the same arguments always give the same data.

    ``n_per_country`` defaults to a seeded draw between 800 and 1,500 per country. With
    ``problems=True`` a few rows an agency would deliver by mistake are added (under-age respondents,
    duplicated ids, unknown country codes, rows with no answers) so the exclusion ledger has work.

    >>> sim = simulate_softpower(n_per_country=50, countries=["BRA", "JPN"], problems=False)
    >>> len(sim.responses), sorted(sim.truth["target"].unique())
    (100, ['CHN', 'USA'])
    """
    inst = instrument or load_instrument("softpower")
    countries = list(countries or COUNTRIES)
    rng = np.random.default_rng(seed)
    margins = _margins(countries, rng)
    if n_per_country is None:
        n_per_country = {c: int(rng.integers(800, 1501)) for c in countries}
    elif isinstance(n_per_country, int):
        n_per_country = {c: n_per_country for c in countries}
    bad = {c: n for c, n in n_per_country.items() if not isinstance(n, (int, np.integer)) or n < 1}
    if bad:
        raise SurveyIndexError(f"n_per_country must be whole numbers of at least 1; got {bad}")
    frames = [_country_sample(inst, c, n_per_country[c], margins, rng) for c in countries]
    resp = pd.concat(frames, ignore_index=True)
    resp.insert(0, "resp_id", [f"R{i:07d}" for i in range(1, len(resp) + 1)])
    if problems:
        resp = _inject_problems(resp, inst, rng)
    pops = pd.DataFrame({"country": countries, "adults_millions": [ADULTS.get(c, 1) for c in countries]})
    return SimulatedSurvey(resp, margins, pops, _truth(inst, countries, margins))


# -- population ---------------------------------------------------------------------------------

_CATEGORIES = {
    "age_group": ["18-24", "25-34", "35-44", "45-54", "55-64", "65+"],
    "gender": ["1", "2"],
    "education": ["1", "2", "3", "4"],
    "region": ["1", "2", "3", "4"],
}
_BASE = {"age_group": [0.12, 0.18, 0.18, 0.17, 0.16, 0.19], "gender": [0.49, 0.51],
         "education": [0.2, 0.3, 0.3, 0.2], "region": [0.25, 0.25, 0.25, 0.25]}


def _margins(countries: list[str], rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for c in countries:
        for var, base in _BASE.items():
            p = rng.dirichlet(np.asarray(base) * 60)
            rows += [(c, var, cat, float(round(x, 6))) for cat, x in zip(_CATEGORIES[var], p)]
    df = pd.DataFrame(rows, columns=["country", "variable", "category", "proportion"])
    # Rounded proportions must still sum to one exactly per margin: put the residual on the first.
    resid = 1 - df.groupby(["country", "variable"])["proportion"].transform("sum")
    first = ~df.duplicated(["country", "variable"])
    df.loc[first, "proportion"] = (df.loc[first, "proportion"] + resid[first]).round(6)
    return df


def _props(margins: pd.DataFrame, country: str, var: str) -> np.ndarray:
    m = margins[(margins.country == country) & (margins.variable == var)]
    return m.set_index("category").loc[_CATEGORIES[var], "proportion"].to_numpy(float)


# -- the answer model ---------------------------------------------------------------------------

def _latent_mean(country: str, target: str, age_g, edu, gender, region) -> np.ndarray:
    """Mean latent attitude, shape (n, n_dimensions), additive in the demographics."""
    lean = (_LEAN_USA if target == "USA" else _LEAN_CHN).get(country, 0.0)
    base = np.asarray(_PROFILE[target]) + lean
    age_c = (np.asarray(age_g, float)[:, None] - 2.5) / 2.5
    edu_c = (np.asarray(edu, float)[:, None] - 2.5) / 1.5
    gen_c = (np.asarray(gender, float)[:, None] - 1.5) * 0.1
    reg_c = (np.asarray(region, float)[:, None] - 2.5) * 0.05
    return base + age_c * np.asarray(_AGE_SLOPE[target]) + edu_c * np.asarray(_EDU_SLOPE[target]) \
        + gen_c + reg_c


def _item_offsets(inst: Instrument) -> np.ndarray:
    # Fixed, small differences in item difficulty (same in every country: invariance holds).
    return np.tile([0.10, -0.05, 0.0, -0.05], len(inst.dimensions))[: len(inst.item_ids)]


def _country_sample(inst, country, n, margins, rng) -> pd.DataFrame:
    demo = {}
    for var in _CATEGORIES:
        p = _props(margins, country, var) * np.asarray(_SELECT[var])
        demo[var] = rng.choice(len(p), size=n, p=p / p.sum())
    lo = np.array([18, 25, 35, 45, 55, 65])
    hi = np.array([24, 34, 44, 54, 64, 85])
    age = rng.integers(lo[demo["age_group"]], hi[demo["age_group"]] + 1)
    out = {"country": np.full(n, country), "age": age, "gender": demo["gender"] + 1,
           "education": demo["education"] + 1, "region": demo["region"] + 1}
    dims = inst.dimensions
    offsets = _item_offsets(inst)
    for target in inst.target_codes:
        mu = _latent_mean(country, target, demo["age_group"], demo["education"] + 1,
                         demo["gender"] + 1, demo["region"] + 1)
        person = rng.normal(0, _SD_PERSON, size=(n, 1))
        j = 0
        for k, d in enumerate(dims):
            dim_eff = rng.normal(0, _SD_DIM, size=(n, 1))
            lat = mu[:, [k]] + person + dim_eff + offsets[j: j + len(d.items)] \
                + rng.normal(0, _SD_ITEM, size=(n, len(d.items)))
            y = 1 + (lat[:, :, None] > _CUTS).sum(axis=2).astype(float)
            for m, item in enumerate(d.items):
                col = y[:, m]
                if item.reverse:
                    col = 6 - col
                u = rng.random(n)
                col = np.where(u < 0.03, np.nan, col)                 # item nonresponse
                col = np.where((u >= 0.03) & (u < 0.05), 8, col)      # don't know
                col = np.where((u >= 0.05) & (u < 0.055), 9, col)     # refused
                out[inst.column(target, item.id)] = col
            j += len(d.items)
        fav = np.clip(np.rint(5 + 2.2 * (mu.mean(axis=1) + person[:, 0])
                              + rng.normal(0, 1.2, n)), 0, 10)
        fav = np.where(rng.random(n) < 0.03, 98, fav)
        out[f"{target}_fav"] = fav
    df = pd.DataFrame(out)
    item_cols = [c for c in df.columns if c not in ("country", "age", "gender", "education", "region")]
    df[item_cols] = df[item_cols].astype("Int64")
    return df


def _inject_problems(resp: pd.DataFrame, inst: Instrument, rng) -> pd.DataFrame:
    n = len(resp)
    under = resp.iloc[rng.choice(n, 6, replace=False)].copy()
    under["age"] = rng.integers(14, 18, size=len(under))
    under["resp_id"] = [f"X{i:06d}" for i in range(len(under))]
    dups = resp.iloc[rng.choice(n, 4, replace=False)].copy()
    unknown = resp.iloc[rng.choice(n, 3, replace=False)].copy()
    unknown["country"] = "XXX"
    unknown["resp_id"] = [f"U{i:06d}" for i in range(len(unknown))]
    empty = resp.iloc[rng.choice(n, 5, replace=False)].copy()
    item_cols = [inst.column(t, i) for t in inst.target_codes for i in inst.item_ids]
    empty[item_cols] = pd.NA
    empty["resp_id"] = [f"E{i:06d}" for i in range(len(empty))]
    bad = pd.concat([under, dups, unknown, empty])
    pos = np.sort(rng.choice(n, len(bad), replace=False))
    pieces, last = [], 0
    for k, p in enumerate(pos):
        pieces += [resp.iloc[last:p], bad.iloc[[k]]]
        last = p
    pieces.append(resp.iloc[last:])
    return pd.concat(pieces, ignore_index=True)


# -- the truth ----------------------------------------------------------------------------------

def _truth(inst: Instrument, countries: list[str], margins: pd.DataFrame) -> pd.DataFrame:
    """Exact population means of every dimension score and of the 0-100 composite.

    A respondent's dimension score is the mean of their valid items; as missingness is completely
    at random and symmetric across items, its expectation in a cell is the mean of the items'
    expectations, each ``1 + sum_k P(latent > cut_k)`` with the latent normal.
    """
    grid = np.array(np.meshgrid(*[np.arange(len(v)) for v in _CATEGORIES.values()], indexing="ij"))
    age_g, gen, edu, reg = (g.ravel() for g in grid)
    sd = np.sqrt(_SD_PERSON**2 + _SD_DIM**2 + _SD_ITEM**2)
    offsets = _item_offsets(inst)
    sizes = [len(d.items) for d in inst.dimensions]
    lo, hi = inst.index.scale
    g20 = set(inst.country_groups.get("G20", []))
    rows = []
    for c in countries:
        p_cell = (_props(margins, c, "age_group")[age_g] * _props(margins, c, "gender")[gen]
                  * _props(margins, c, "education")[edu] * _props(margins, c, "region")[reg])
        audiences = {"all": np.ones_like(p_cell, dtype=bool)}
        if c in g20:
            audiences["g20_youth"] = age_g <= 1
        for target in inst.target_codes:
            mu = _latent_mean(c, target, age_g, edu + 1, gen + 1, reg + 1)
            mu_items = np.repeat(mu, sizes, axis=1) + offsets
            e_item = 1 + norm.cdf((mu_items[:, :, None] - _CUTS) / sd).sum(axis=2)
            e_dim = np.add.reduceat(e_item, np.cumsum([0] + sizes[:-1]), axis=1) / sizes
            for aud, keep in audiences.items():
                w = p_cell * keep
                dims = (w @ e_dim) / w.sum()
                for d, v in zip(inst.dimension_ids, dims):
                    rows.append((c, target, aud, d, float(v)))
                comp = lo + (hi - lo) * (dims - 1) / 4
                rows.append((c, target, aud, "composite", float(comp.mean())))
    return pd.DataFrame(rows, columns=["country", "target", "audience", "measure", "value"])
