"""The shifted-beta-geometric (sBG) model of contract renewals (Fader and Hardie, 2007):
why aggregate retention rises over time although nobody's own rate changes.
"""

from __future__ import annotations

import numpy as np
from scipy import special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import check_number, check_numbers
from crmlib.errors import ArgumentError
from crmlib.fitting import FittedModel, fitted_param, minimize_bounded
from crmlib.retention.cohorts import _check_durations  # the contract data both read

__all__ = ["ShiftedBetaGeometric"]


def _scalar_or_array(arr: np.ndarray):
    return float(arr) if arr.ndim == 0 else arr


class ShiftedBetaGeometric(FittedModel, BaseEstimator):
    """The shifted-beta-geometric (sBG) model of contract renewals.

    Each customer renews each period with their own probability 1 - theta
    and theta ~ Beta(alpha, beta) across customers (Fader and Hardie, 2007).
    Customers likely to leave leave early, so the aggregate retention rate
    rises over time even though nobody's own rate changes.

    Attributes
    ----------
    params_ : dict
        Fitted Beta parameters ``alpha`` and ``beta`` (also ``alpha_``, ``beta_``).
    standard_errors_ : dict
        Their asymptotic standard errors (NaN where the fit cannot tell).
    covariance_ : pandas.DataFrame
        Their covariance matrix.
    loglik_ : float
        Maximised log-likelihood.
    n_obs_ : int or float
        Customers fitted to (a cohort's counts may be percentages).
    converged_ : bool
        False when the fit warned (a bound reached, no convergence).

    ``summary``, ``to_json`` and ``from_json`` come from
    :class:`crmlib.fitting.FittedModel`.

    Examples
    --------
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> m = ShiftedBetaGeometric().fit(regular)
    >>> round(m.alpha_, 3), round(m.beta_, 3), round(m.loglik_, 1)
    (0.704, 1.182, -1680.3)
    """

    _param_names = ("alpha", "beta")
    _model_name = "sBG"

    alpha_ = fitted_param("alpha", "Fitted alpha (``params_[\"alpha\"]``); it can be set to "
                          "use known parameters.", settable=True)
    beta_ = fitted_param("beta", "Fitted beta (``params_[\"beta\"]``); it can be set to use "
                         "known parameters.", settable=True)

    def fit(self, active_counts) -> ShiftedBetaGeometric:
        """Fit by maximum likelihood from the numbers still active.

        Parameters
        ----------
        active_counts : array-like
            Customers still active at the start of period 0, 1, ..., T
            (the first value is the whole cohort). Counts may be non-integer
            (e.g. percentages of a cohort of 100).

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.
        """
        n = check_numbers(active_counts, "active_counts", low=0, ndim=1, what="counts")
        if n.size < 2:
            raise ArgumentError("active_counts needs at least two periods (start and one more)")
        if n[0] <= 0:
            raise ArgumentError("active_counts must have a positive start")
        if (np.diff(n) > 0).any():
            i = int(np.argmax(np.diff(n) > 0)) + 1
            raise ArgumentError(
                f"active_counts must not increase (period {i}: {n[i - 1]} -> {n[i]})"
            )
        T = n.size - 1
        # One row per cancellation period 1..T (those lost in it), plus the T-period survivors.
        periods = np.append(np.arange(1, T + 1), T).astype("float64")
        censored = np.append(np.zeros(T, dtype=bool), True)
        weights = np.append(-np.diff(n), n[-1])
        return self._fit(periods, censored, weights)

    def fit_durations(self, durations, censored) -> ShiftedBetaGeometric:
        """Fit from individual customers' durations, some still running (right-censored).

        Use it when customers started at different times, so that no single
        cohort's counts describe them all (for example subscriptions taken up
        month after month and observed to one cut-off date).

        Parameters
        ----------
        durations : array-like of int
            For a customer who cancelled: the periods they paid for (>= 1).
            For one still active at the cut-off: the periods completed so far
            (>= 0); all we know is that their lifetime is longer.
        censored : array-like of bool
            ``True`` for customers still active at the cut-off.

        Returns
        -------
        ShiftedBetaGeometric
            ``self``, fitted.

        Examples
        --------
        >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
        >>> lost = -np.diff(regular)
        >>> durations = np.append(np.repeat(np.arange(1, 8), lost), np.full(241, 7))
        >>> censored = np.append(np.zeros(lost.sum(), bool), np.ones(241, bool))
        >>> m = ShiftedBetaGeometric().fit_durations(durations, censored)
        >>> round(m.alpha_, 3), round(m.beta_, 3)
        (0.704, 1.182)
        """
        t, c = _check_durations(durations, censored)
        # Still active after 0 periods says nothing (survival at 0 is 1): leave them out.
        t, c = t[t > 0], c[t > 0]
        if (~c).sum() == 0:
            raise ArgumentError(
                "no cancellation among the durations: the sBG model cannot be fitted"
            )
        # Many customers share a (duration, censored) pair: fit on the distinct pairs.
        pairs, weights = np.unique(np.column_stack([t, c]), axis=0, return_counts=True)
        return self._fit(pairs[:, 0], pairs[:, 1].astype(bool), weights.astype("float64"))

    def _fit(self, t: np.ndarray, censored: np.ndarray, w: np.ndarray) -> ShiftedBetaGeometric:
        """Maximum likelihood on distinct (periods, censored) rows with weights ``w``."""
        lost, kept = np.where(censored, 0.0, w), np.where(censored, w, 0.0)

        def neg(theta):
            a, b = np.exp(theta)
            lb = special.betaln(a, b)
            # P(cancel after t periods) = B(a+1, b+t-1) / B(a, b);
            # P(still active after t periods) = B(a, b+t) / B(a, b)
            lp = special.betaln(a + 1, b + t - 1) - lb
            ls = special.betaln(a, b + t) - lb
            ll = np.dot(lost, lp) + np.dot(kept, ls)
            dab = special.digamma(a + b)
            # d lnB(x, y)/dx = psi(x) - psi(x + y)
            dlb = np.array([special.digamma(a) - dab, special.digamma(b) - dab])
            dp_a = special.digamma(a + 1) - special.digamma(a + b + t) - dlb[0]
            dp_b = special.digamma(b + t - 1) - special.digamma(a + b + t) - dlb[1]
            ds_a = special.digamma(a) - special.digamma(a + b + t) - dlb[0]
            ds_b = special.digamma(b + t) - special.digamma(a + b + t) - dlb[1]
            grad = np.array(
                [np.dot(lost, dp_a) + np.dot(kept, ds_a), np.dot(lost, dp_b) + np.dot(kept, ds_b)]
            ) * np.array([a, b])
            return -ll, -grad

        res = minimize_bounded(neg, np.zeros(2), ftol=1e-12, gtol=1e-9)
        if not res.success:
            # Along the ridge where alpha and beta trade off, the line search can stall
            # at the optimum: the step the remaining gradient (1e-5 or so) asks for
            # changes a log-likelihood summed over a thousand customers by less than
            # its rounding. A gradient g leaves the log-parameters about g * variance
            # from the maximum, far inside their standard errors for g <= 1e-4: accept
            # that from where the search stopped.
            res = minimize_bounded(neg, res.x, ftol=1e-12, gtol=1e-4)
        self._record_log_fit(res, neg, (), n_obs=w.sum())
        return self

    def _ab(self):
        check_is_fitted(self, "params_")
        return self.params_["alpha"], self.params_["beta"]

    @staticmethod
    def _periods(t, name="t", start=0) -> np.ndarray:
        return check_numbers(t, name, low=start, integer=True, what="whole numbers of periods")

    def survival(self, t):
        """Share of the cohort still active at the start of period t: B(a, b+t) / B(a, b)."""
        a, b = self._ab()
        t = self._periods(t)
        return _scalar_or_array(np.exp(special.betaln(a, b + t) - special.betaln(a, b)))

    def retention_rate(self, t):
        """Share of those active in period t-1 who renew for period t: (b+t-1) / (a+b+t-1)."""
        a, b = self._ab()
        t = self._periods(t, start=1)
        return _scalar_or_array((b + t - 1) / (a + b + t - 1))

    def discounted_expected_lifetime(self, discount: float) -> float:
        """Expected number of periods a new customer pays for, discounted.

        Sum over t >= 0 of S(t) / (1 + d)^t, which equals
        2F1(1, b; a + b; 1 / (1 + d)) (Fader and Hardie, 2010).
        """
        a, b = self._ab()
        discount = check_number(discount, "discount", low=0, low_open=True)
        return float(special.hyp2f1(1.0, b, a + b, 1.0 / (1.0 + discount)))
