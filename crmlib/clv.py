"""Customer lifetime value for non-contractual settings: BG/NBD and Gamma-Gamma.

* :class:`BetaGeo` is the BG/NBD model of Fader, Hardie and Lee (2005,
  *Marketing Science* 24(2)): while alive, a customer buys as a Poisson
  process with rate lambda ~ Gamma(r, alpha); after each repeat purchase they
  drop out with probability p ~ Beta(a, b).
* :class:`GammaGamma` is the spend model of Fader, Hardie and Lee (2005,
  *Journal of Marketing Research* 42(4)): order values are Gamma(p, nu) around
  a customer-level nu ~ Gamma(q, gamma), independent of the purchase process.
* :func:`customer_lifetime_value` combines them into discounted CLV.

Both models are fitted by maximum likelihood with exact (analytic) gradients
on the unique rows of the summary, so fitting tens of thousands of customers
takes a fraction of a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special, stats
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import check_count, check_number
from crmlib.errors import ArgumentError
from crmlib.fitting import FittedModel, minimize_bounded


def _as_array(name: str, value, allow_zero: bool = True) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype="float64")
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be numbers ({err})") from None
    if arr.ndim > 1:
        raise ArgumentError(f"{name} must be one-dimensional")
    if arr.size == 0:
        raise ArgumentError(f"{name} is empty")
    if not np.isfinite(arr).all():
        raise ArgumentError(f"{name} contains NaN or infinite values")
    if (arr < 0).any() or (not allow_zero and (arr == 0).any()):
        raise ArgumentError(f"{name} must be {'non-negative' if allow_zero else 'positive'}")
    return np.atleast_1d(arr)


def _check_rft(frequency, recency, T) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = _as_array("frequency", frequency)
    t_x = _as_array("recency", recency)
    T = _as_array("T", T)
    try:
        x, t_x, T = np.broadcast_arrays(x, t_x, T)
    except ValueError as err:
        raise ArgumentError("frequency, recency and T must have the same length") from err
    if (x % 1 != 0).any():
        raise ArgumentError("frequency must hold whole numbers (repeat purchases)")
    if (t_x > T + 1e-9).any():
        i = int(np.argmax(t_x > T + 1e-9))
        raise ArgumentError(f"recency must not exceed T (row {i}: recency {t_x[i]}, T {T[i]})")
    if ((x == 0) & (t_x != 0)).any():
        raise ArgumentError("recency must be 0 for customers with frequency 0")
    return x, t_x, T


def _unique_rows(*cols: np.ndarray, weights: np.ndarray | None = None
                 ) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of the given columns and their total weight (how often each occurs)."""
    frame = pd.DataFrame({i: c for i, c in enumerate(cols)})
    if weights is None:
        counts = frame.value_counts(sort=False)
    else:
        counts = frame.assign(_w=weights).groupby(list(range(len(cols))), sort=False)["_w"].sum()
    uniq = counts.index.to_frame(index=False)
    return [uniq[i].to_numpy(dtype="float64") for i in range(len(cols))], counts.to_numpy(
        dtype="float64"
    )


def _weights(weights, n: int) -> np.ndarray:
    """Row weights for a fit: 1 each by default, else positive, finite, one per row."""
    if weights is None:
        return np.ones(n)
    w = _as_array("weights", weights, allow_zero=False)
    if w.size != n:
        raise ArgumentError(f"weights has {w.size} values for {n} rows")
    return w


def _index_of(*values) -> pd.Index | None:
    """The index of the first pandas Series among the inputs, if any."""
    return next((v.index for v in values if isinstance(v, pd.Series)), None)


def _like(out: np.ndarray, index: pd.Index | None, name: str):
    """A Series on the customers' index when they came as Series, else the array."""
    if index is not None and len(index) == len(out):
        return pd.Series(out, index=index, name=name)
    return out


class BetaGeo(FittedModel, BaseEstimator):
    """The BG/NBD model of repeat buying and dropout.

    Attributes
    ----------
    params_ : dict
        Fitted ``r``, ``alpha``, ``a``, ``b``.
    standard_errors_ : dict
        Their asymptotic standard errors (observed information).
    covariance_ : pandas.DataFrame
        Their covariance matrix.
    loglik_ : float
        Maximised log-likelihood of the calibration data.
    n_obs_ : int
        Customers in the calibration data (``n_customers_`` is the same number).
    converged_ : bool
        False when the fit warned.

    See :class:`crmlib.fitting.FittedModel` for ``summary``, ``to_json`` and
    ``from_json``, which every fitted model of the course shares.

    Examples
    --------
    >>> from crmlib.data import load_cdnow
    >>> from crmlib.rfm import btyd_summary
    >>> s = btyd_summary(load_cdnow("sample"), "1997-09-30")
    >>> m = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
    >>> round(m.loglik_, 1)
    -9582.4
    """

    _param_names = ("r", "alpha", "a", "b")
    _model_name = "BG/NBD"

    def __init__(self, *, tol: float = 1e-14, max_iter: int = 1000):
        self.tol = tol
        self.max_iter = max_iter

    # ------------------------------------------------------------------ likelihood
    @staticmethod
    def _loglik_terms(theta: np.ndarray, x, t_x, T, x_levels=None, x_index=None):
        """Per-row log-likelihood and its gradient with respect to log-parameters.

        Every special function depends on the frequency alone, so it is
        evaluated once per distinct frequency (``x_levels``, with each row's
        position in it in ``x_index``) and gathered.
        """
        if x_levels is None:
            x_levels, x_index = np.unique(x, return_inverse=True)
        r, alpha, a, b = np.exp(theta)
        xl = x_levels
        has_l = xl > 0
        xb = np.where(has_l, b + xl - 1, 1.0)  # b + x - 1, kept positive where unused
        dg_abx = special.digamma(a + b + xl)
        lb_ab = special.betaln(a, b)
        dg_ab = special.digamma(a + b)
        # Per-level pieces: constant term, the two log-beta terms and their derivatives.
        c_l = special.gammaln(r + xl) - special.gammaln(r) + r * np.log(alpha) - lb_ab
        b1_l = special.betaln(a, b + xl)
        b2_l = np.where(has_l, special.betaln(a + 1, xb), -np.inf)
        dc_r_l = special.digamma(r + xl) - special.digamma(r) + np.log(alpha)
        d1a_l = special.digamma(a) - dg_abx
        d1b_l = special.digamma(b + xl) - dg_abx
        d2a_l = special.digamma(a + 1) - dg_abx
        d2b_l = np.where(has_l, special.digamma(xb), 0.0) - dg_abx

        g = x_index
        rx = r + x
        has = x > 0
        log_at, log_atx = np.log(alpha + T), np.log(alpha + t_x)
        t1 = b1_l[g] - rx * log_at
        t2 = b2_l[g] - rx * log_atx
        m = np.maximum(t1, t2)
        e1, e2 = np.exp(t1 - m), np.exp(t2 - m)
        ll = c_l[g] + m + np.log(e1 + e2)
        w1 = e1 / (e1 + e2)
        w2 = np.where(has, 1.0 - w1, 0.0)
        grad = np.column_stack(
            [
                dc_r_l[g] - w1 * log_at - w2 * log_atx,
                r / alpha - w1 * rx / (alpha + T) - w2 * rx / (alpha + t_x),
                (dg_ab - special.digamma(a)) + w1 * d1a_l[g] + w2 * d2a_l[g],
                (dg_ab - special.digamma(b)) + w1 * d1b_l[g] + w2 * d2b_l[g],
            ]
        )
        grad *= np.array([r, alpha, a, b])  # d/d log(parameter)
        return ll, grad

    def _neg_loglik(self, theta, x, t_x, T, w, x_levels=None, x_index=None):
        ll, grad = self._loglik_terms(theta, x, t_x, T, x_levels, x_index)
        return -np.dot(w, ll), -(w @ grad)

    @staticmethod
    def _start(x, t_x, T) -> np.ndarray:
        """A starting point from moments: r = 1, alpha from the mean purchase rate."""
        rate = max(float(np.sum(x) / np.sum(T)), 1e-6)
        return np.array([0.0, np.log(1.0 / rate), 0.0, np.log(3.0)])

    def fit(self, frequency, recency, T, weights=None) -> BetaGeo:
        """Fit by maximum likelihood.

        Parameters
        ----------
        frequency, recency, T : array-like
            Repeat purchases, time of the last purchase and age of each
            customer, in the same time unit (see :func:`crmlib.rfm.btyd_summary`).
        weights : array-like, optional
            How many customers each row stands for, to fit on aggregated rows
            (one row per distinct history with its count); 1 each by default.

        Returns
        -------
        BetaGeo
            ``self``, fitted.
        """
        x, t_x, T = _check_rft(frequency, recency, T)
        weight = _weights(weights, len(x))
        (ux, utx, uT), w = _unique_rows(x, t_x, T, weights=weight)
        levels, index = np.unique(ux, return_inverse=True)
        args = (ux, utx, uT, w, levels, index)
        best = None
        for start in (self._start(ux, utx, uT), np.array([-1.0, 1.0, -0.5, 1.0])):
            res = minimize_bounded(
                self._neg_loglik, start, args, ftol=self.tol, max_iter=self.max_iter
            )
            if best is None or res.fun < best.fun:
                best = res
            if res.success:  # the second start is only a fallback
                break
        if not np.isfinite(best.fun):
            raise RuntimeError(f"BG/NBD fit failed: {best.message}")
        self._record_log_fit(best, self._neg_loglik, args, n_obs=weight.sum())
        return self

    @property
    def n_customers_(self) -> int | float:
        """Customers in the calibration data (the contract's ``n_obs_``)."""
        check_is_fitted(self, "params_")
        return self.n_obs_

    def _params(self):
        check_is_fitted(self, "params_")
        p = self.params_
        return p["r"], p["alpha"], p["a"], p["b"]

    def loglik(self, frequency, recency, T):
        """Log-likelihood of each customer under the fitted parameters."""
        index = _index_of(frequency, recency, T)
        x, t_x, T = _check_rft(frequency, recency, T)
        theta = np.log(np.array(self._params()))
        return _like(self._loglik_terms(theta, x, t_x, T)[0], index, "loglik")

    # ------------------------------------------------------------------ predictions
    def _near_a_one(self, formula):
        """``formula(r, alpha, a, b)``, continuous through a = 1.

        The closed forms divide by a - 1 (a removable singularity: the bracket
        they multiply vanishes too). Within 1e-4 of 1, the mean of the values
        at 1 +- 1e-4 is used, accurate to about 1e-8 as the function is smooth in a.
        """
        r, alpha, a, b = self._params()
        h = 1e-4
        if abs(a - 1) >= h:
            return formula(r, alpha, a, b)
        return (formula(r, alpha, 1 + h, b) + formula(r, alpha, 1 - h, b)) / 2

    def expected_purchases_new(self, t) -> np.ndarray | float:
        """Expected purchases of a new customer in their first ``t`` time units, E[X(t)].

        Repeat purchases only (the first purchase at time 0 is not counted).

        Examples
        --------
        >>> m = BetaGeo()
        >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(m.expected_purchases_new(78), 2)  # Fader, Hardie and Lee (2005): 1.86
        1.86
        """
        t = _as_array("t", t)

        def formula(r, alpha, a, b):
            z = t / (alpha + t)
            h = special.hyp2f1(r, b, a + b - 1, z)
            return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * h)

        out = self._near_a_one(formula)
        return out if out.size > 1 else float(out[0])

    def probability_of_purchases(self, t, n) -> np.ndarray | float:
        """Probability that a new customer makes exactly ``n`` repeat purchases by ``t``.

        P(X(t) = n), equation (8) of Fader, Hardie and Lee (2005): the chance of
        n purchases while still alive at t, plus (for n > 0) the chance of
        dropping out after the n-th. With ``p = alpha / (alpha + t)`` the Gamma
        mixture of Poisson counts is a negative binomial NB(r, p), so

        P(X(t) = n) = B(a, b + n) / B(a, b) * NB(n; r, p)
        + [n > 0] * B(a + 1, b + n - 1) / B(a, b) * P(NB(r, p) >= n).

        Parameters
        ----------
        t : float or array-like
            Length of the period from the first purchase.
        n : int or array-like of int
            Number of repeat purchases (broadcast against ``t``).

        Examples
        --------
        >>> m = BetaGeo()
        >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        >>> round(m.probability_of_purchases(39, 0), 5)  # R's BTYD package: 0.5737864
        0.57379
        >>> total = m.probability_of_purchases(39, np.arange(2000)).sum()
        >>> bool(abs(total - 1) < 1e-6)
        True
        """
        r, alpha, a, b = self._params()
        t = _as_array("t", t)
        n = _as_array("n", n)
        if (n % 1 != 0).any():
            raise ArgumentError("n must hold whole numbers (repeat purchases)")
        t, n = np.broadcast_arrays(t, n)
        p = alpha / (alpha + t)
        log_beta = special.betaln(a, b)
        alive = np.exp(special.betaln(a, b + n) - log_beta) * stats.nbinom.pmf(n, r, p)
        later = np.where(n > 0, np.exp(special.betaln(a + 1, np.maximum(b + n - 1, 1e-300))
                                       - log_beta) * stats.nbinom.sf(n - 1, r, p), 0.0)
        out = alive + later
        return out if out.size > 1 else float(out[0])

    def expected_purchases(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` time units, given each customer's history.

        Equation (10) of Fader, Hardie and Lee (2005), computed in logs so that
        very frequent customers give finite numbers.

        Returns
        -------
        numpy.ndarray or pandas.Series
            One value per customer, a Series on their index when the history
            came as Series.
        """
        index = _index_of(frequency, recency, T)
        x, t_x, T = _check_rft(frequency, recency, T)
        t = _as_array("t", t)

        def formula(r, alpha, a, b):
            z = t / (alpha + T + t)
            # (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)].
            # Euler's transformation, 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z),
            # with 1 - z = (alpha+T)/(alpha+T+t) turns the bracket into
            # 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), which stays finite for any x.
            cc = a + b + x - 1
            inner = np.exp((a - 1) * np.log1p(-z)) * special.hyp2f1(a + b - 1 - r, a - 1, cc, z)
            return (a + b + x - 1) / (a - 1) * (1 - inner)

        out = self._near_a_one(formula) * self._p_alive(x, t_x, T)
        return _like(out, index, "expected_purchases")

    def _p_alive(self, x, t_x, T) -> np.ndarray:
        r, alpha, a, b = self._params()
        has = x > 0
        log_odds = np.where(
            has,
            np.log(a)
            - np.log(np.where(has, b + x - 1, 1.0))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )
        return special.expit(-log_odds)

    def p_alive(self, frequency, recency, T):
        """Probability that each customer is still active at T.

        Here ``recency`` is the BTYD one, the time from the first to the last
        purchase (see :func:`crmlib.rfm.btyd_summary`), not RFM's time since
        the last purchase.
        """
        index = _index_of(frequency, recency, T)
        return _like(self._p_alive(*_check_rft(frequency, recency, T)), index, "p_alive")



class GammaGamma(FittedModel, BaseEstimator):
    """The Gamma-Gamma model of average spend per transaction.

    Fit it on repeat customers only (frequency > 0) with their mean repeat
    spend; it assumes spend is independent of purchase frequency.

    Attributes
    ----------
    params_ : dict
        Fitted ``p``, ``q``, ``gamma``.
    standard_errors_ : dict
        Their asymptotic standard errors (observed information).
    covariance_ : pandas.DataFrame
        Their covariance matrix.
    loglik_ : float
        Maximised log-likelihood.
    n_obs_ : int
        Repeat customers fitted to (``n_customers_`` is the same number).
    converged_ : bool
        False when the fit warned.

    ``summary``, ``to_json`` and ``from_json`` come from
    :class:`crmlib.fitting.FittedModel`.

    Examples
    --------
    >>> from crmlib.data import load_cdnow
    >>> from crmlib.rfm import btyd_summary
    >>> s = btyd_summary(load_cdnow("sample"), "1997-09-30")
    >>> rep = s[s["frequency"] > 0]
    >>> gg = GammaGamma().fit(rep["frequency"], rep["monetary_value"])
    >>> round(gg.loglik_, 1)
    -4055.9
    """

    _param_names = ("p", "q", "gamma")
    _model_name = "Gamma-Gamma"

    def __init__(self, *, tol: float = 1e-14, max_iter: int = 1000):
        self.tol = tol
        self.max_iter = max_iter

    @staticmethod
    def _check(frequency, monetary_value):
        x = _as_array("frequency", frequency, allow_zero=False)
        m = _as_array("monetary_value", monetary_value, allow_zero=False)
        if x.shape != m.shape:
            raise ArgumentError("frequency and monetary_value must have the same length")
        return x, m

    @staticmethod
    def _loglik_terms(theta, x, m):
        p, q, g = np.exp(theta)
        px = p * x
        lgm = np.log(g + m * x)
        ll = (
            special.gammaln(px + q)
            - special.gammaln(px)
            - special.gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * lgm
        )
        dpq = special.digamma(px + q)
        grad = np.column_stack(
            [
                x * (dpq - special.digamma(px) + np.log(m) + np.log(x) - lgm),
                dpq - special.digamma(q) + np.log(g) - lgm,
                q / g - (px + q) / (g + m * x),
            ]
        ) * np.array([p, q, g])
        return ll, grad

    def _neg_loglik(self, theta, x, m, w):
        ll, grad = self._loglik_terms(theta, x, m)
        return -np.dot(w, ll), -(w @ grad)

    def fit(self, frequency, monetary_value, weights=None) -> GammaGamma:
        """Fit by maximum likelihood on repeat customers.

        Parameters
        ----------
        frequency : array-like
            Repeat purchases of each customer (all > 0).
        monetary_value : array-like
            Each customer's mean spend over those repeat purchases (all > 0).
        weights : array-like, optional
            How many customers each row stands for (aggregated rows); 1 each
            by default.

        Returns
        -------
        GammaGamma
            ``self``, fitted.
        """
        x, m = self._check(frequency, monetary_value)
        weight = _weights(weights, len(x))
        (ux, um), w = _unique_rows(x, m, weights=weight)
        start = np.log([1.0, 1.0, max(float(np.mean(m)), 1e-3)])
        res = minimize_bounded(
            self._neg_loglik, start, (ux, um, w), ftol=self.tol, max_iter=self.max_iter
        )
        if not np.isfinite(res.fun):
            raise RuntimeError(f"Gamma-Gamma fit failed: {res.message}")
        self._record_log_fit(res, self._neg_loglik, (ux, um, w), n_obs=weight.sum())
        return self

    @property
    def n_customers_(self) -> int | float:
        """Repeat customers in the data (the contract's ``n_obs_``)."""
        check_is_fitted(self, "params_")
        return self.n_obs_

    def _params(self):
        check_is_fitted(self, "params_")
        return self.params_["p"], self.params_["q"], self.params_["gamma"]

    def mean_spend(self) -> float:
        """Population mean spend per transaction, p * gamma / (q - 1) (inf if q <= 1)."""
        p, q, g = self._params()
        return p * g / (q - 1) if q > 1 else float("inf")


    def expected_spend(self, frequency, monetary_value):
        """Expected spend per future transaction of each customer.

        A weighted average of the population mean and the customer's own
        mean; customers with no repeat purchase (frequency 0) get the
        population mean.
        """
        p, q, g = self._params()
        index = _index_of(frequency, monetary_value)
        x = _as_array("frequency", frequency)
        m = _as_array("monetary_value", monetary_value)
        if x.shape != m.shape:
            raise ArgumentError("frequency and monetary_value must have the same length")
        if q <= 1:
            raise ArgumentError("the fitted q <= 1: the population mean spend is infinite")
        return _like((g + m * x) * p / (p * x + q - 1), index, "expected_spend")


def customer_lifetime_value(
    purchase_model: BetaGeo,
    spend_model: GammaGamma,
    frequency,
    recency,
    T,
    monetary_value,
    *,
    horizon: int = 52,
    discount: float = 0.01,
    margin_share: float = 1.0,
    step: int = 1,
):
    """Discounted expected margin of each customer over a horizon.

    Sums, step by step, expected purchases (BG/NBD) times expected spend
    (Gamma-Gamma) times ``margin_share``, each step's purchases discounted at
    ``discount`` per period from the end of the step. When ``step`` does not
    divide ``horizon`` the last step is shorter, so the whole horizon counts.

    Parameters
    ----------
    purchase_model : BetaGeo
        A fitted BG/NBD model.
    spend_model : GammaGamma
        A fitted Gamma-Gamma model.
    frequency, recency, T, monetary_value : array-like
        Each customer's summary (see :func:`crmlib.rfm.btyd_summary`).
    horizon : int
        Number of periods (in the summary's time unit) to look ahead.
    discount : float
        Discount rate per period, in [0, 1) (0.01 a week is about 68% a year).
    margin_share : float
        Share of revenue that is profit, in (0, 1].
    step : int
        Periods per discounting step, 1 to ``horizon``.

    Returns
    -------
    numpy.ndarray or pandas.Series
        Discounted CLV per customer, a Series on their index when the
        summary came as Series.

    Examples
    --------
    >>> m, g = BetaGeo(), GammaGamma()
    >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> g.params_ = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    >>> clv = customer_lifetime_value(m, g, [2, 0], [30.43, 0.0], [38.86, 38.86],
    ...                               [30.0, 0.0], horizon=52, discount=0.0)
    >>> bool(clv[0] > clv[1] > 0)
    True
    """
    check_count(horizon, "horizon")
    check_count(step, "step", max_val=horizon)
    check_number(discount, "discount", low=0, high=1, high_open=True)
    check_number(margin_share, "margin_share", low=0, high=1, low_open=True)
    index = _index_of(frequency, recency, T, monetary_value)
    x, t_x, T = _check_rft(frequency, recency, T)
    value = np.asarray(spend_model.expected_spend(x, _as_array("monetary_value", monetary_value)))
    ends = np.arange(step, horizon + 1, step)
    if ends[-1] != horizon:
        ends = np.append(ends, horizon)  # a last, shorter step
    total = np.zeros_like(x)
    prev = np.zeros_like(x)
    for t in ends:  # one pass per step (at most horizon), each vectorised over customers
        cum = np.asarray(purchase_model.expected_purchases(float(t), x, t_x, T))
        total += (cum - prev) / (1 + discount) ** t
        prev = cum
    return _like(total * value * margin_share, index, "clv")


def expected_cohort_purchases(purchase_model: BetaGeo, first_purchase, t):
    """Expected cumulative repeat purchases of a whole cohort, on a common clock.

    Customers join at different times; each one's repeat purchases follow
    ``E[X(t - first purchase)]`` from then on. Summing them gives the
    forecast line of a tracking plot (cumulative repeat purchases against
    time), to set beside the actual cumulative count.

    Parameters
    ----------
    purchase_model : BetaGeo
        A fitted BG/NBD model.
    first_purchase : array-like
        Each customer's first purchase, in the model's time unit, measured
        from the same origin as ``t`` (for example weeks since 1 January 1997).
    t : array-like
        Times at which to forecast, same unit and origin.

    Returns
    -------
    numpy.ndarray
        Expected repeat purchases of the cohort from the origin to each ``t``
        (customers who have not joined by ``t`` count zero).

    Examples
    --------
    >>> m = BetaGeo()
    >>> m.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    >>> # two customers who join at weeks 0 and 10, seen at weeks 5 and 88
    >>> out = expected_cohort_purchases(m, [0.0, 10.0], [5.0, 88.0])
    >>> bool(out[0] == m.expected_purchases_new(5.0))  # the second has not joined yet
    True
    >>> round(float(out[1]), 3)  # E[X(88)] + E[X(78)]; E[X(78)] is 1.861 (paper: 1.86)
    3.86
    """
    birth = _as_array("first_purchase", first_purchase)
    t = _as_array("t", t)
    (levels,), counts = _unique_rows(birth)
    age = np.clip(t[:, None] - levels[None, :], 0.0, None)
    grown = np.zeros_like(age)
    pos = age > 0
    if pos.any():
        grown[pos] = np.atleast_1d(purchase_model.expected_purchases_new(age[pos]))
    return grown @ counts


def customer_equity(
    current_value,
    new_customer_value: float,
    new_per_period: float,
    periods: int,
    discount: float,
    acquisition_cost: float = 0.0,
) -> dict[str, float]:
    """Customer equity: today's customers plus the cohorts still to come.

    Follows the logic of Gupta, Lehmann and Stuart (2004, *Journal of
    Marketing Research* 41(1)): the value of the customer base is the
    lifetime value of the current customers plus, for each future period k,
    the new customers acquired then times their value net of what it cost
    to acquire them, discounted by ``(1 + discount) ** k``.

    Parameters
    ----------
    current_value : array-like
        Lifetime value of each current customer (already discounted to today).
    new_customer_value : float
        Lifetime value of a new customer at the moment they join (their first
        purchase's margin included).
    new_per_period : float
        New customers acquired each period (constant).
    periods : int
        Future periods over which cohorts are counted.
    discount : float
        Discount rate per period, in [0, 1).
    acquisition_cost : float
        Cost of acquiring one new customer.

    Returns
    -------
    dict
        ``current``, ``future`` and ``total`` customer equity.

    Examples
    --------
    >>> ce = customer_equity([100.0, 50.0], new_customer_value=30.0, new_per_period=10,
    ...                      periods=2, discount=0.0, acquisition_cost=10.0)
    >>> ce["current"], ce["future"], ce["total"]
    (150.0, 400.0, 550.0)
    """
    value = _as_array("current_value", current_value)
    check_count(periods, "periods", min_val=0)
    check_number(discount, "discount", low=0, high=1, high_open=True)
    check_number(new_per_period, "new_per_period", low=0)
    check_number(acquisition_cost, "acquisition_cost", low=0)
    check_number(new_customer_value, "new_customer_value")
    k = np.arange(1, periods + 1)
    future = float(np.sum(new_per_period * (new_customer_value - acquisition_cost)
                          / (1 + discount) ** k))
    current = float(value.sum())
    return {"current": current, "future": future, "total": current + future}
