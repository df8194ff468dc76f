"""Awareness built by advertising: the advertising stock (adstock), the awareness
curve it drives, and the model fitted to tracking-survey counts.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, signal, special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import check_number, check_numbers, check_same_length
from crmlib.errors import ArgumentError
from crmlib.fitting import FittedModel, check_fit, covariance_from_values, fitted_param

__all__ = ["AwarenessModel", "adstock", "awareness_curve"]


def adstock(grps, decay: float) -> np.ndarray:
    """Advertising stock: A_t = decay * A_(t-1) + GRP_t, starting from 0.

    Examples
    --------
    >>> adstock([100, 0, 0], 0.5)
    array([100.,  50.,  25.])
    """
    g = check_numbers(grps, "grps", low=0, ndim=1, what="rating points")
    decay = check_number(decay, "decay", low=0, high=1, high_open=True)
    return signal.lfilter([1.0], [1.0, -decay], g)


def awareness_curve(grps, decay: float, base: float, ceiling: float, k: float) -> np.ndarray:
    """Awareness = base + ceiling * (1 - exp(-k * adstock)): builds with GRPs, decays without.

    Parameters
    ----------
    grps : array-like
        Rating points per period.
    decay : float
        Share of the advertising stock carried to the next period.
    base : float
        Awareness without advertising.
    ceiling : float
        The most awareness advertising can add (base + ceiling <= 1).
    k : float
        How fast awareness saturates, per GRP of stock.
    """
    base = check_number(base, "base", low=0, high=1)
    ceiling = check_number(ceiling, "ceiling", low=0)
    if ceiling > 1 - base + 1e-12:
        raise ArgumentError(f"ceiling must be at most 1 - base = {1 - base:g}, got {ceiling!r}")
    k = check_number(k, "k", low=0, finite=False)
    return _curve(adstock(grps, decay), base, ceiling, k)


def _curve(stock: np.ndarray, base, ceiling, k) -> np.ndarray:
    """The awareness curve on an advertising stock already computed, unchecked."""
    return base + ceiling * (1 - np.exp(-k * stock))


class AwarenessModel(FittedModel, BaseEstimator):
    """Awareness built by advertising: base + ceiling * (1 - exp(-k * adstock)).

    Fitted to tracking-survey counts by binomial maximum likelihood (Nelder-Mead
    from three starting decays, keeping the best). Parameters are searched in
    an unbounded scale (logit of decay, base and the ceiling's share of
    1 - base, log of k), so a fit that runs off towards 0 or 1 of a share, or
    towards 0 or infinity of k, warns with a
    :class:`~sklearn.exceptions.ConvergenceWarning`.

    Attributes
    ----------
    params_ : dict
        Fitted ``decay``, ``base``, ``ceiling`` and ``k`` (see
        :func:`awareness_curve`); also ``decay_``, ``base_``, ``ceiling_``, ``k_``.
    standard_errors_, covariance_ : dict, pandas.DataFrame
        From the observed information in the search's scale (central
        differences of the log-likelihood), moved to the parameters by the
        delta method; NaN where the fit reached the edge of the search.
    loglik_ : float
        Maximised log-likelihood.
    n_obs_ : int
        People asked, over all the surveys.
    converged_ : bool
        False when the fit warned.

    ``summary`` (intervals symmetric in logit for the shares, in log for k),
    ``to_json`` and ``from_json`` come from :class:`crmlib.fitting.FittedModel`.

    Examples
    --------
    >>> grps = np.r_[np.full(6, 150.0), np.zeros(10)]
    >>> truth = awareness_curve(grps, 0.7, 0.08, 0.55, 0.004)
    >>> m = AwarenessModel().fit(grps, np.round(truth * 4000), np.full(16, 4000))
    >>> round(m.decay_, 1), round(m.base_, 2)
    (0.7, 0.08)
    """

    _param_names = ("decay", "base", "ceiling", "k")
    _shares = ("decay", "base", "ceiling")
    _model_name = "awareness"

    def __init__(self, *, starts: tuple[float, ...] = (-1.0, 0.5, 2.0)):
        self.starts = starts

    def fit(self, grps, aware, sample_size) -> AwarenessModel:
        """Fit to survey counts.

        Parameters
        ----------
        grps : array-like
            Rating points per period.
        aware, sample_size : array-like
            People aware and people asked in each period's survey.

        Returns
        -------
        AwarenessModel
            ``self``, fitted.
        """
        g = check_numbers(grps, "grps", low=0, ndim=1, what="rating points")
        y = check_numbers(aware, "aware", low=0, ndim=1, what="counts of people")
        n = check_numbers(sample_size, "sample_size", low=0, ndim=1, what="counts of people")
        check_same_length({"grps": g, "aware": y, "sample_size": n})
        if (y > n).any():
            raise ArgumentError("aware must lie between 0 and sample_size")

        def neg(z):  # the search's own values, in range by construction: not re-checked
            decay, base, ceiling, k = _unpack_awareness(z)
            stock = signal.lfilter([1.0], [1.0, -decay], g)
            p = np.clip(_curve(stock, base, ceiling, k), 1e-12, 1 - 1e-12)
            return -np.sum(y * np.log(p) + (n - y) * np.log1p(-p))

        best = None
        for d0 in self.starts:
            res = optimize.minimize(
                neg,
                np.array([d0, -2.0, 0.0, np.log(0.005)]),
                method="Nelder-Mead",
                options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000},
            )
            if best is None or res.fun < best.fun:
                best = res
        params = np.array(_unpack_awareness(best.x), dtype="float64")
        # A share within 1e-6 of 0 or 1 (|logit| > 13.8), or k beyond exp(+-13.8).
        stuck = np.abs(best.x) > 13.8
        _, converged = check_fit("awareness", list(self._param_names), best, stuck=stuck)
        cov = covariance_from_values(neg, best.x, _awareness_jacobian(best.x))
        cov[stuck, :] = np.nan  # at the edge of the search: no variance, nor covariance
        cov[:, stuck] = np.nan
        self._set_fit(params, cov, -best.fun, n.sum(), converged)
        return self

    # The fitted values by name, as earlier versions had them (and lessons still read).
    decay_ = fitted_param("decay", "Fitted weekly adstock decay.")
    base_ = fitted_param("base", "Fitted awareness without advertising.")
    ceiling_ = fitted_param("ceiling", "Fitted most advertising adds.")
    k_ = fitted_param("k", "Fitted response to adstock.")

    def predict(self, grps) -> np.ndarray:
        """Awareness in each period under the fitted parameters."""
        check_is_fitted(self, "params_")
        return awareness_curve(grps, self.decay_, self.base_, self.ceiling_, self.k_)


def _unpack_awareness(z):
    decay, base, share = special.expit(z[:3])
    return decay, base, (1 - base) * share, np.exp(z[3])


def _awareness_jacobian(z) -> np.ndarray:
    """d(decay, base, ceiling, k) / dz for :func:`_unpack_awareness`."""
    decay, base, share = special.expit(z[:3])
    J = np.zeros((4, 4))
    J[0, 0] = decay * (1 - decay)
    J[1, 1] = base * (1 - base)
    J[2, 1] = -share * base * (1 - base)
    J[2, 2] = (1 - base) * share * (1 - share)
    J[3, 3] = np.exp(z[3])
    return J
