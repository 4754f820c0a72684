"""Sensitivity with sampling: method choices x replicate weights, variance split and indices.

The split is checked against closed forms built from independent compute_index runs (one per
method choice): with configurations m uniform over the grid and the design's replicate variance
SE^2(m) = scale * sum_r (f_r(m) - mean_r f(m))^2,
  method = Var_m theta(m), sampling = SE^2 of the method-averaged replicate estimates,
  interaction = mean_m SE^2(m) - sampling.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import rankdata

import surveyindex as si
from surveyindex.index import variance_split
from surveyindex.index.compute import IndexMethod, audience_masks
from surveyindex.index.sampling_sensitivity import sampling_sensitivity


@pytest.fixture(scope="module")
def boot(sample):
    return si.make_design(sample).with_replicates("bootstrap", n=24, seed=3)


def _composite(design, **kw):
    res = si.compute_index(design, audiences=["all"], **kw)
    return res, res._arrays["per_audience"][0]["composite"]          # (C, T, 1 + R)


def test_single_method_sampling_part_is_the_replicate_variance(boot):
    """One method, no choice: method = interaction = 0 and sampling = SE^2 of compute_index."""
    res, _ = _composite(boot)
    sens = si.compute_index(boot, audiences=["all"], sensitivity=8, sensitivity_sampling=True,
                            sensitivity_factors={"normalisation": ["scale"]}).sensitivity
    comp = res.composite.set_index(["country", "target"])
    s = sens.set_index(["country", "target"]).loc[comp.index]
    np.testing.assert_allclose(s["score_var_sampling"], comp["se"] ** 2, rtol=1e-10)
    assert (s["score_var_method"] == 0).all() and (s["score_var_interaction"] == 0).all()
    np.testing.assert_allclose(s["score"], comp["score"], rtol=1e-12)


def test_two_methods_split_matches_the_closed_form(boot):
    """normalisation scale vs minmax (the grid: two configurations, exact)."""
    _, a = _composite(boot, normalisation="scale")
    _, b = _composite(boot, normalisation="minmax")
    scale, R = boot.replicate_scale, boot.n_replicates
    method = ((a[..., 0] - b[..., 0]) / 2) ** 2

    def se2(x):
        reps = x[..., 1:]
        return scale * ((reps - reps.mean(axis=-1, keepdims=True)) ** 2).sum(axis=-1)

    sampling = se2((a + b) / 2)
    interaction = (se2(a) + se2(b)) / 2 - sampling
    res = si.compute_index(boot, audiences=["all"], sensitivity=8, sensitivity_sampling=True,
                           sensitivity_factors={"normalisation": ["scale", "minmax"]})
    s = res.sensitivity
    np.testing.assert_allclose(s["score_var_method"], method.ravel(), rtol=1e-9)
    np.testing.assert_allclose(s["score_var_sampling"], sampling.ravel(), rtol=1e-9)
    np.testing.assert_allclose(s["score_var_interaction"], interaction.ravel(), rtol=1e-9,
                               atol=1e-12)
    # Ranks: of Y = theta + sqrt(scale R) (f - mean f) among countries, split by hand (loops).
    Zr = []
    for x in (a, b):
        Y = x[..., :1] + np.sqrt(scale * R) * (x[..., 1:] - x[..., 1:].mean(-1, keepdims=True))
        Zr.append(rankdata(-Y, method="min", axis=0).reshape(-1, R).T)     # (R, U)
    Zr = np.array(Zr, float)
    m_rows = Zr.mean(axis=1)
    grand = m_rows.mean(axis=0)
    cols = Zr.mean(axis=0)
    total = ((Zr - grand) ** 2).mean(axis=(0, 1))
    rank_method = ((m_rows - grand) ** 2).mean(axis=0)
    rank_sampling = ((cols - grand) ** 2).mean(axis=0)
    np.testing.assert_allclose(s["rank_var"], total, atol=1e-10)
    np.testing.assert_allclose(s["rank_var_method"], rank_method, atol=1e-10)
    np.testing.assert_allclose(s["rank_var_sampling"], rank_sampling, atol=1e-10)
    idx = res.sensitivity_indices
    sc = idx[(idx.output == "score")]
    samp = sc[sc.factor == "sampling"]["first_order"].to_numpy()
    np.testing.assert_allclose(samp, (sampling / (method + sampling + interaction)).ravel(),
                               rtol=1e-9)
    norm = sc[sc.factor == "normalisation"]
    np.testing.assert_allclose(norm["first_order"], (method / s["score_var"].to_numpy()
                                                      .reshape(method.shape)).ravel(), rtol=1e-9)
    np.testing.assert_allclose(norm["total"], ((method + interaction) / s["score_var"].to_numpy()
                                                .reshape(method.shape)).ravel(), rtol=1e-9)


def test_monte_carlo_split_is_unbiased_in_a_known_case():
    """Crossed design with Z = a_m + b_r + e_mr: method variance 4, sampling 1, interaction 0.25
    (a ~ N(0, 4) over draws, b fixed with mean square 1, e ~ N(0, 0.25) summing to 0 over r).
    Averaged over 400 simulated Monte Carlo runs the corrected estimates recover the parts,
    where the plain plug-in of the sampling part would be biased by interaction / draws."""
    rng = np.random.default_rng(7)
    R, N = 8, 5
    b = np.array([1, -1] * (R // 2), float)
    est = []
    for _ in range(400):
        e = rng.normal(0, 0.5, (N, R))
        e -= e.mean(axis=1, keepdims=True)
        e *= np.sqrt(R / (R - 1))                     # keep E mean_r e^2 = 0.25 after centring
        Z = (rng.normal(0, 2, (N, 1)) + b + e)[..., None]
        p = variance_split(Z, np.full(N, 1 / N), draws=N)
        est.append([p["method"][0], p["sampling"][0], p["interaction"][0]])
    np.testing.assert_allclose(np.mean(est, axis=0), [4, 1, 0.25], rtol=0.08)


def test_monte_carlo_path_agrees_with_the_exact_grid(boot):
    """exhaustive=False uses only the 2n base draws; with n = 300 the parts are close to the
    exact ones over the 6-point grid, and the ranks' interval is the same."""
    inst = boot.responses.instrument
    m = IndexMethod()
    masks = audience_masks(boot, ["all"], None)
    factors = {"normalisation": ["scale", "minmax", "rank"], "aggregation": ["arithmetic",
                                                                             "geometric"]}
    exact, ix = sampling_sensitivity(boot, m, masks, None, factors, n=300, seed=1)
    mc, imc = sampling_sensitivity(boot, m, masks, None, factors, n=300, seed=1, exhaustive=False)
    assert inst.target_codes
    for col in ("score_var", "score_var_method"):
        np.testing.assert_allclose(mc[col], exact[col], rtol=0.15)
    big = exact["score_var_sampling"] > 0.05 * exact["score_var"]
    np.testing.assert_allclose(mc["score_var_sampling"][big], exact["score_var_sampling"][big],
                               rtol=0.25)
    a = ix[(ix.output == "score") & (ix.factor == "normalisation")]["first_order"].to_numpy()
    b = imc[(imc.output == "score") & (imc.factor == "normalisation")]["first_order"].to_numpy()
    np.testing.assert_allclose(b, a, atol=0.1)
    again, _ = sampling_sensitivity(boot, m, masks, None, factors, n=300, seed=1,
                                    exhaustive=False)
    assert again.equals(mc)                           # same seed, identical numbers


def test_bundled_sample_workbook_sensitivity_sheet(boot, tmp_path):
    """The bundled sample's index with the sampling sensitivity, written as the workbook: the
    Sensitivity sheet holds the split columns, cell for cell the result's table, and the parts
    add up to the total."""
    import openpyxl
    import pandas as pd

    from surveyindex.pipeline import PipelineResult

    index = si.compute_index(boot, sensitivity=8, sensitivity_sampling=True,
                             sensitivity_factors={"normalisation": ["scale", "minmax"],
                                                  "aggregation": ["arithmetic", "geometric"]})
    res = PipelineResult(boot.responses.instrument, boot.responses, boot, index, pd.DataFrame(),
                         boot.diagnostics(by="country"), {"Instrument": "softpower"})
    s = res.index.sensitivity
    parts = s[["score_var_method", "score_var_sampling", "score_var_interaction"]].sum(axis=1)
    np.testing.assert_allclose(parts, s["score_var"], rtol=1e-12)
    assert (s[["score_var_method", "score_var_sampling", "score_var_interaction"]] >= -1e-9).all().all()
    assert {"sampling", "normalisation"} <= set(res.index.sensitivity_indices["factor"])
    book = openpyxl.load_workbook(si.write_report(res, tmp_path / "r.xlsx"))
    text = " ".join(str(c.value) for row in book["Methodology"].iter_rows() for c in row
                    if c.value)
    assert "split into method, sampling and interaction parts" in text
    ws = book["Sensitivity"]
    header = [c.value for c in ws[2]]
    # After Country, ISO, Target, Audience and the four rank columns (issue 17 labels).
    assert header[8:] == ["Score (method used)", "Score variance", "Score variance: method",
                          "Score variance: sampling", "Score variance: interaction",
                          "Rank variance", "Rank variance: method", "Rank variance: sampling",
                          "Rank variance: interaction"]
    assert "every replicate weight column" in ws["A1"].value
    first = [c.value for c in ws[3]]
    row = s.iloc[0]
    lab = si.report.Labels.from_instrument(boot.responses.instrument)
    assert first[:4] == [lab.country(row.country), row.country, lab.target(row.target),
                         lab.audience(row.audience)]
    assert first[10] == pytest.approx(row.score_var_method, rel=1e-12)
    assert first[11] == pytest.approx(row.score_var_sampling, rel=1e-12)
