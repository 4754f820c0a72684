"""McDonald's omega total from a one-factor model fitted by maximum likelihood.

The one-factor model is fitted by the CFA engine of :mod:`surveyindex.reliability.cfa` to the
items' covariance matrix, built exactly as for alpha (pairwise or listwise, optionally weighted),
so omega and alpha in a row of the reliability table describe the same respondents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import EstimationError
from .alpha import _covariance, _prepare
from .cfa import fit_moments


@dataclass(frozen=True)
class OmegaResult:
    """Omega total of one set of items and the one-factor solution behind it.

    Attributes
    ----------
    omega : omega total (denominator as chosen by ``observed_variance``).
    omega_model : omega with the model-implied variance of the sum in the denominator,
        ``(sum l)^2 / ((sum l)^2 + sum theta)``.
    loadings, residual_variances : Series indexed by item (factor variance fixed to 1).
    n : respondents used.
    n_items : number of items.
    converged : whether the ML fit converged.
    """

    omega: float
    omega_model: float
    loadings: pd.Series
    residual_variances: pd.Series
    n: int
    n_items: int
    converged: bool

    def __repr__(self) -> str:
        return (f"<OmegaResult omega {self.omega:.3f}, omega_model {self.omega_model:.3f}; "
                f"{self.n_items} items, n {self.n}"
                f"{'' if self.converged else ', NOT converged'}>")

    def _repr_html_(self) -> str:
        from ..display import card

        loadings = pd.DataFrame({"item": self.loadings.index, "loading": self.loadings.values,
                                 "residual_variance": self.residual_variances.values})
        return card("Omega total (one factor)",
                    [("omega", f"{self.omega:.4f}"), ("omega_model", f"{self.omega_model:.4f}"),
                     ("items", self.n_items), ("n", self.n), ("converged", self.converged)],
                    tables=[("Loadings", loadings)], note=".loadings, .residual_variances")


def omega(data, missing: str = "listwise", weights=None,
          observed_variance: bool = True) -> OmegaResult:
    """McDonald's omega total of a set of items, from a one-factor ML model (as semTools gives it).

    Parameters
    ----------
    data : DataFrame or 2-D array, shape (n_respondents, n_items)
        Item scores, reverse-keyed items already recoded; NaN marks a missing answer.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` (default, as lavaan): respondents answering every item. ``"pairwise"``:
        the factor model is fitted to the pairwise-complete covariance matrix used for alpha.
    weights : array-like, optional
        Survey weights: the model is fitted to the weighted covariance matrix.
    observed_variance : bool
        Denominator: the observed variance of the sum score (True, as ``semTools::compRelSEM``'s
        default ``obs.var=TRUE``) or the model-implied one (False).

    Returns
    -------
    OmegaResult

    Raises
    ------
    EstimationError
        As :func:`~surveyindex.reliability.cronbach_alpha` (too few items or respondents, a constant
        item), or the one-factor model cannot be fitted.

    Notes
    -----
    With loadings ``l_j``, factor variance 1 and residual variances ``theta_j`` from the
    one-factor model fitted by maximum likelihood (lavaan ``cfa(..., std.lv=TRUE)``) and ``S``
    the items' covariance matrix::

        omega       = (sum_j l_j)^2 / sum(S)                                  (observed_variance)
        omega_model = (sum_j l_j)^2 / ((sum_j l_j)^2 + sum_j theta_j)

    Omega does not change when ``S`` is multiplied by a constant, so dividing by N (lavaan) or
    N - 1 (alpha) gives the same value. With three items the model is just identified and
    ``omega == omega_model``.

    References
    ----------
    McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum.
    Jorgensen, T. D. et al. (2022). semTools: Useful tools for structural equation modeling.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveyindex.reliability import omega
    >>> items = pd.DataFrame({"q1": [4, 5, 3, 2, 4, 5, 3, 4, 2, 5, 3, 4],
    ...                       "q2": [4, 4, 3, 2, 5, 5, 2, 4, 1, 4, 3, 3],
    ...                       "q3": [3, 5, 4, 1, 4, 4, 3, 5, 2, 5, 2, 4],
    ...                       "q4": [4, 5, 2, 2, 3, 5, 3, 3, 2, 4, 3, 5]})
    >>> res = omega(items)  # In R: semTools::compRelSEM(cfa("f =~ q1+q2+q3+q4", items, std.lv=TRUE))
    >>> round(res.omega, 4), round(res.omega_model, 4)  # R: 0.9055 and (obs.var=FALSE) 0.9099
    (0.9055, 0.9099)
    """
    if missing not in ("listwise", "pairwise"):
        raise EstimationError(f"missing must be 'listwise' or 'pairwise'; got {missing!r}")
    x, w, names = _prepare(data, missing, weights)
    c, count = _covariance(x, w, names)
    # divide by N, not N - 1, so that loadings and residual variances are lavaan's
    return _omega_from_cov(c * (count - 1) / count, len(x), names, observed_variance)


def _omega_from_cov(c: np.ndarray, n: int, names, observed_variance: bool) -> OmegaResult:
    k = c.shape[0]
    if np.linalg.eigvalsh(c)[0] <= 1e-10 * np.trace(c):
        raise EstimationError(
            f"the covariance matrix of {list(names)} is not positive definite (a pairwise matrix "
            "can be); use missing='listwise'"
        )
    fit = fit_moments(np.array([float(n)]), np.zeros((1, k)), c[None], factors={"f": list(names)},
                      item_names=list(names), factor_index=np.zeros(k, dtype=int),
                      groups=[None], std_lv=True, measures=False)
    est = fit.parameters["est"].to_numpy()
    lam, theta = est[:k], est[k:2 * k]  # the table lists k loadings, then k residual variances
    if np.sum(lam) < 0:  # the sign of a standardised factor is arbitrary
        lam = -lam
    common = lam.sum() ** 2
    omega_model = common / (common + theta.sum())
    return OmegaResult(omega=float(common / c.sum() if observed_variance else omega_model),
                       omega_model=float(omega_model),
                       loadings=pd.Series(lam, index=list(names), name="loading"),
                       residual_variances=pd.Series(theta, index=list(names), name="theta"),
                       n=int(n), n_items=k, converged=fit.converged)
