"""Optional correction of respondent scores for response styles, as an index method choice.

Two classical remedies (reviewed by Van Vaerenbergh and Thomas 2013):

- ``"centring"``: within-person centring (ipsatisation; Fischer 2004, the "within-subject"
  adjustment). Each respondent's answers as given (reverse keying undone) are expressed as
  deviations from the item's scale midpoint in half-ranges, ``d = (x - mid) / half``; the
  respondent's mean deviation over every valid answer (all targets and items), ``m_i``, is
  replaced by the sample's weighted mean ``m``: ``x* = x - half (m_i - m)``, then reverse keying
  is applied again. A general tendency to agree (or disagree) moves every answer of a
  respondent the same way and is removed; so is any real difference in the respondent's overall
  level, the known price of ipsatisation.
- ``"regression"``: each dimension score (per target) is regressed, with the analysis weights,
  on the respondents' acquiescence, extreme and midpoint indices (Baumgartner and Steenkamp
  2001; :func:`surveyindex.reliability.respondent_styles`), and the part the styles predict
  beyond their weighted mean is removed: ``y* = y - (s_i - s_bar)' beta``. Respondents without
  a style index keep their score. The coefficients are estimated once with the analysis
  weights, so their own sampling variability is not in the replicate SEs.

Both keep the sample's weighted mean of the answers (centring) or scores (regression) and act
on ``scoring="mean"`` only (a box score of a centred answer has no meaning).

References: Baumgartner, H., and Steenkamp, J.-B. E. M. (2001). Response styles in marketing
research: a cross-national investigation. Journal of Marketing Research, 38(2), 143-156.
Fischer, R. (2004). Standardization to account for cross-cultural response bias: a
classification of score adjustment procedures and review of research in JCCP. Journal of
Cross-Cultural Psychology, 35(3), 263-282. Van Vaerenbergh, Y., and Thomas, T. D. (2013).
Response styles in survey research: a literature review of antecedents, consequences, and
remedies. International Journal of Public Opinion Research, 25(2), 195-217.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..errors import EstimationError
from ..reliability import respondent_styles

STYLE_CORRECTIONS = ("none", "centring", "regression")
REGRESSORS = ("acquiescence", "extreme", "midpoint")


def check_style_correction(correction, scoring: str) -> str:
    """``correction`` normalised to one of :data:`STYLE_CORRECTIONS` (None is ``"none"``).

    >>> check_style_correction(None, "mean"), check_style_correction("centring", "mean")
    ('none', 'centring')
    """
    c = "none" if correction is None else correction
    if c not in STYLE_CORRECTIONS:
        raise EstimationError(f"style_correction must be one of {list(STYLE_CORRECTIONS)}, "
                              f"not {correction!r}")
    if c != "none" and scoring != "mean":
        raise EstimationError(f"style_correction={c!r} corrects mean scores; with "
                              f"scoring={scoring!r} use style_correction='none'")
    return c


def centred_responses(responses, weights: np.ndarray):
    """``responses`` with every answer centred within person (see the module notes).

    Hand check: one item (scale 1-5, half-range 2), answers 5 and 3 with equal weights:
    deviations 1 and 0, sample mean 0.5, so the answers become 5 - 2 (1 - 0.5) = 4 and
    3 - 2 (0 - 0.5) = 4.

    >>> import surveyindex as si
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> c = centred_responses(r, np.ones(r.n))
    >>> c.values.shape == r.values.shape, bool(np.isnan(c.values).sum() == np.isnan(r.values).sum())
    (True, True)
    """
    inst = responses.instrument
    v = responses.values
    lo, hi, sign = (np.empty(v.shape[2]) for _ in range(3))
    for j, (d, it) in enumerate(inst.items()):
        sc = inst.scales[d.scale]
        lo[j], hi[j], sign[j] = sc.min, sc.max, -1.0 if it.reverse else 1.0
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    # The answer as given is mid + sign (v - mid): its deviation in half-ranges.
    dev = sign * (v - mid) / half
    ok = ~np.isnan(dev)
    n_ok = ok.sum(axis=(1, 2))
    m_i = np.divide(np.where(ok, dev, 0.0).sum(axis=(1, 2)), n_ok, out=np.zeros(len(v)),
                    where=n_ok > 0)
    w = np.where(n_ok > 0, weights, 0.0)
    m = float(w @ m_i / w.sum()) if w.sum() > 0 else 0.0
    shift = (m_i - m)[:, None, None] * half * sign         # in the recoded direction
    return replace(responses, values=v - shift)


def regression_corrected(scores: np.ndarray, responses, weights: np.ndarray) -> np.ndarray:
    """Scores (n, targets, dimensions) minus what the style indices predict (module notes).

    >>> import surveyindex as si
    >>> from surveyindex.index import score_dimensions
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> s = score_dimensions(r)
    >>> c = regression_corrected(s, r, np.ones(r.n))
    >>> ok = ~np.isnan(s[:, 0, 0])
    >>> bool(abs(np.nanmean(c[ok, 0, 0]) - np.nanmean(s[ok, 0, 0])) < 1e-9)
    True
    """
    styles = respondent_styles(responses)
    S = styles[list(REGRESSORS)].to_numpy(float)
    S = S[:, ~np.isnan(S).all(axis=0)]                     # no reverse keys: no acquiescence
    n, T, K = scores.shape
    Y = scores.reshape(n, T * K)
    have = ~np.isnan(S).any(axis=1)
    fit = have[:, None] & ~np.isnan(Y)                     # rows used, per column
    W = np.where(fit, weights[:, None], 0.0)               # (n, C)
    X = np.column_stack([np.ones(n), np.where(have[:, None], S, 0.0)])
    p = X.shape[1]
    XX = (X[:, :, None] * X[:, None, :]).reshape(n, p * p)
    M = (XX.T @ W).T.reshape(-1, p, p)                     # X' W_c X per column
    rhs = (X.T @ (W * np.where(fit, Y, 0.0))).T            # (C, p)
    coef = np.stack([np.linalg.lstsq(M[c], rhs[c], rcond=None)[0] for c in range(M.shape[0])])
    tot = W.sum(axis=0)
    s_bar = np.divide(W.T @ X[:, 1:], tot[:, None], out=np.zeros((len(tot), p - 1)),
                      where=tot[:, None] > 0)               # (C, p - 1)
    pred = (X[:, None, 1:] - s_bar[None]) * coef[None, :, 1:]
    adj = np.where(have[:, None], pred.sum(axis=2), 0.0)
    return (Y - adj).reshape(n, T, K)


def respondent_scores(design, m) -> np.ndarray:
    """Dimension scores (n, targets, dimensions) under the index method ``m``, style-corrected
    as ``m.style_correction`` asks (with the design's analysis weights).

    >>> import surveyindex as si
    >>> from surveyindex.index import IndexMethod
    >>> r = si.read_responses(si.sample_paths()["responses"], si.load_instrument("softpower"))
    >>> d = si.make_design(r)
    >>> respondent_scores(d, IndexMethod(style_correction="regression")).shape
    (14535, 2, 5)
    """
    from .scoring import score_dimensions

    c = check_style_correction(m.style_correction, m.scoring)
    resp = design.responses
    src = centred_responses(resp, design.weights) if c == "centring" else resp
    scores = score_dimensions(src, m.min_valid_items, scoring=m.scoring, dont_know=m.dont_know,
                              refused=m.refused, top=m.top, bottom=m.bottom)
    return regression_corrected(scores, resp, design.weights) if c == "regression" else scores
