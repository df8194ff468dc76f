"""What the maximum-likelihood fits share: bounded search, one BLAS thread, honest errors.

BG/NBD, Gamma-Gamma and the sBG model are fitted by :func:`minimize_bounded`
(L-BFGS-B on log-parameters within bounds, with analytic gradients) and report
their standard errors with :func:`standard_errors`. The awareness model
(:class:`crmlib.contact.AwarenessModel`) is not: it is fitted by Nelder-Mead,
without bounds, on logits of its shares and the log of its rate, and reports no
standard errors. All four pass their result through :func:`check_fit`: a fit
that stops at a bound of the search (for the awareness model, a share within
1e-6 of 0 or 1), or that the optimiser did not finish, emits a
:class:`sklearn.exceptions.ConvergenceWarning` naming the model and the
parameters at fault; the standard errors are NaN wherever the observed
information does not support them.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import ThreadpoolController

from crmlib.errors import ArgumentError

__all__ = ["ConvergenceWarning", "FittedModel", "at_bound", "check_fit", "covariance",
           "covariance_from_values", "minimize_bounded", "standard_errors"]

#: A fit whose log-likelihood one more Newton step would raise by more than this has
#: stopped short of its maximum (a tolerance too loose): it is not reported as converged.
STOP_SHORT = 1e-3
#: Bounds of the search for log-parameters: exp(+-12) spans 6e-6 to 1.6e5.
LOG_BOUND = 12.0
#: BLAS threads during a fit (None leaves the library's own setting; the benchmark
#: compares the two under load).
BLAS_THREADS: int | None = 1


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    """The BLAS libraries loaded by numpy and scipy, inspected once (a few ms)."""
    return ThreadpoolController()


def minimize_bounded(
    fun: Callable,
    x0: np.ndarray,
    args: tuple = (),
    *,
    jac: bool = True,
    bound: float = LOG_BOUND,
    ftol: float = 1e-14,
    gtol: float = 1e-8,
    max_iter: int = 1000,
) -> optimize.OptimizeResult:
    """L-BFGS-B within ``[-bound, bound]`` for every coordinate, on one BLAS thread.

    The problems are small (a handful of parameters, at most a few thousand
    distinct rows), so extra BLAS threads only add start-up and contention:
    on a shared machine they make the fit several times slower.

    Examples
    --------
    >>> res = minimize_bounded(lambda z: (np.sum((z - 1) ** 2), 2 * (z - 1)), np.zeros(2))
    >>> np.round(res.x, 6).tolist()
    [1.0, 1.0]
    """

    def run():
        return optimize.minimize(
            fun,
            x0,
            args=args,
            jac=jac,
            method="L-BFGS-B",
            bounds=[(-bound, bound)] * len(x0),
            options={"ftol": ftol, "gtol": gtol, "maxiter": max_iter},
        )

    if BLAS_THREADS is None:
        res = run()
    else:
        with _threadpools().limit(limits=BLAS_THREADS, user_api="blas"):
            res = run()
    return _stalled_at_optimum(res, gtol)


def _stalled_at_optimum(res: optimize.OptimizeResult, gtol: float) -> optimize.OptimizeResult:
    """Accept an L-BFGS-B stop whose line search failed where the gradient is already flat.

    With a tight ``ftol`` the line search can fail to find a lower value at the
    optimum itself (floating point, on a log-likelihood of ten thousand or more),
    and L-BFGS-B then reports ``ABNORMAL``. The stop is a real optimum when the
    largest gradient component is within ``gtol`` relative to the function's
    size; any other failure is left as it is.

    Examples
    --------
    >>> res = optimize.OptimizeResult(x=np.zeros(2), fun=12000.0, jac=np.array([2e-5, -1e-5]),
    ...                               success=False, message="ABNORMAL: ")
    >>> _stalled_at_optimum(res, 1e-8).success
    True
    >>> res = optimize.OptimizeResult(x=np.zeros(2), fun=12000.0, jac=np.array([0.5, 0.0]),
    ...                               success=False, message="ABNORMAL: ")
    >>> _stalled_at_optimum(res, 1e-8).success
    False
    """
    message = str(res.get("message", ""))
    jac = res.get("jac")
    if res.get("success") or "ABNORMAL" not in message or jac is None:
        return res
    flat = np.max(np.abs(jac)) <= gtol * max(1.0, abs(float(res.fun)))
    if flat and np.isfinite(res.fun):
        res.success = True
        res.message = f"{message.strip()} line search stalled where the gradient is flat"
    return res


def at_bound(theta: np.ndarray, bound: float = LOG_BOUND, tol: float = 1.0) -> np.ndarray:
    """Which coordinates of ``theta`` stopped within ``tol`` of the search bounds.

    In log-parameters a tolerance of 1 flags values above exp(11), about 60,000,
    or below exp(-11): no population of customers has such parameters, so a fit
    that ends there is running along a ridge towards a bound (for example b
    towards infinity when nobody drops out).
    """
    return np.abs(np.asarray(theta)) >= bound - tol


def check_fit(
    model: str,
    names: Sequence[str],
    res: optimize.OptimizeResult,
    neg_loglik: Callable | None = None,
    args: tuple = (),
    stuck: np.ndarray | None = None,
    cov: np.ndarray | None = None,
) -> tuple[np.ndarray, bool]:
    """Standard errors of a finished fit, and a warning when it is not sound.

    A fit is sound when the optimiser succeeded, no parameter stopped at a
    bound of the search and the observed information is positive definite.

    Parameters
    ----------
    model : str
        The model's name, for the message.
    names : sequence of str
        Parameter names, in the order of ``res.x``.
    res : scipy.optimize.OptimizeResult
        The optimiser's result, ``res.x`` in log-parameters.
    neg_loglik : callable, optional
        Negative log-likelihood returning ``(value, gradient)``; without it
        no standard errors are computed (all NaN).
    args : tuple
        Further arguments of ``neg_loglik``.
    stuck : numpy.ndarray of bool, optional
        Which parameters sit at a bound; by default :func:`at_bound` of ``res.x``.
    cov : numpy.ndarray, optional
        :func:`covariance` of ``neg_loglik`` at ``res.x``, when the caller has it
        already (it is the costly part); computed here otherwise.

    Returns
    -------
    se : numpy.ndarray
        Standard errors on the natural scale (see :func:`standard_errors`).
    sound : bool
        ``False`` when a :class:`~sklearn.exceptions.ConvergenceWarning` was emitted.

    Examples
    --------
    >>> import warnings
    >>> res = optimize.OptimizeResult(x=np.array([0.0, LOG_BOUND]), success=True, message="")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     se, sound = check_fit("sBG", ["alpha", "beta"], res)
    >>> sound, str(caught[0].message).split(":")[0]
    (False, 'sBG fit')
    """
    theta = np.asarray(res.x, dtype="float64")
    stuck = at_bound(theta) if stuck is None else np.asarray(stuck, dtype=bool)
    short = 0.0  # how far below its maximum the log-likelihood stopped (Newton's estimate)
    if neg_loglik is None:
        se, definite = np.full(len(theta), np.nan), True
    else:
        cov = covariance(neg_loglik, theta, args) if cov is None else cov
        se = np.sqrt(np.diag(cov))
        definite = bool(np.isfinite(se).all())
        free = ~stuck
        if definite and free.any():
            # Half the Newton decrement g' H^-1 g over the free parameters: what one more
            # Newton step would still gain (a loose tolerance can stop a search early).
            g = np.asarray(neg_loglik(theta, *args)[1], dtype="float64")[free]
            inv_h = (cov / np.outer(np.exp(theta), np.exp(theta)))[np.ix_(free, free)]
            short = float(g @ inv_h @ g) / 2
        se = np.where(stuck, np.nan, se)
    problems = []
    if short > STOP_SHORT:
        problems.append(
            f"the search stopped about {short:.2g} below the log-likelihood's maximum "
            "(a tolerance too loose, or too few data to reach one)"
        )
    if stuck.any():
        params = ", ".join(n for n, s in zip(names, stuck) if s)
        problems.append(
            f"{params} at or near a bound of the search (the data do not pin "
            f"{'it' if stuck.sum() == 1 else 'them'} down)"
        )
    if not res.success:
        problems.append(f"the optimiser did not converge ({res.message})")
    if not definite and not stuck.any():
        problems.append(
            "the log-likelihood is flat in some direction (its Hessian is not "
            "positive definite), so some parameters are not identified"
        )
    if problems:
        warnings.warn(
            f"{model} fit: " + "; ".join(problems) + ". Treat the estimates as "
            "unreliable (standard errors are NaN where unknown).",
            ConvergenceWarning,
            stacklevel=3,
        )
    return se, not problems


def covariance(
    neg_loglik: Callable, theta: np.ndarray, args: tuple = (), step: float = 1e-5
) -> np.ndarray:
    """Covariance matrix of ``exp(theta)`` from the observed information.

    The Hessian of the negative log-likelihood in log-parameters is taken by
    central differences of its analytic gradient (``neg_loglik`` returns the
    value and the gradient); its inverse is the covariance of the
    log-parameters, and the delta method moves it to the natural scale
    (``cov[i, j] * exp(theta[i]) * exp(theta[j])``).

    Returns
    -------
    numpy.ndarray
        ``k`` by ``k``; all NaN when the Hessian is not positive definite (the
        maximum is not a proper one), so a zero variance is never reported.

    Examples
    --------
    >>> def quad(z):  # a log-likelihood with curvature 4 in each direction
    ...     return 2 * np.sum(z**2), 4 * z
    >>> covariance(quad, np.zeros(2)).round(6).tolist()
    [[0.25, 0.0], [0.0, 0.25]]
    """
    theta = np.asarray(theta, dtype="float64")
    k = len(theta)
    H = np.empty((k, k))
    for i in range(k):  # k <= 4: one pair of gradient calls per parameter
        d = np.zeros(k)
        d[i] = step
        H[:, i] = (neg_loglik(theta + d, *args)[1] - neg_loglik(theta - d, *args)[1]) / (2 * step)
    H = (H + H.T) / 2
    nan = np.full((k, k), np.nan)
    if not np.isfinite(H).all():
        return nan
    eig = np.linalg.eigvalsh(H)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):  # not positive definite (or nearly singular)
        return nan
    scale = np.exp(theta)
    return np.linalg.inv(H) * np.outer(scale, scale)


def covariance_from_values(
    neg_loglik: Callable, z: np.ndarray, jacobian: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Covariance of parameters ``g(z)`` for a fit without gradients (Nelder-Mead).

    The Hessian of the negative log-likelihood in the search's own scale ``z``
    is taken by central differences of its values; its inverse is moved to the
    parameters by the delta method, ``J H^-1 J'``, with ``J`` the Jacobian of
    ``g`` at ``z``.

    Returns
    -------
    numpy.ndarray
        All NaN when the Hessian is not positive definite.

    Examples
    --------
    >>> quad = lambda z: 2 * np.sum(z**2)  # curvature 4 in each direction
    >>> covariance_from_values(quad, np.zeros(2), np.diag([1.0, 2.0])).round(6).tolist()
    [[0.25, 0.0], [0.0, 1.0]]
    """
    z = np.asarray(z, dtype="float64")
    k = len(z)
    e = np.eye(k) * step
    H = np.empty((k, k))
    for i in range(k):  # k <= 4: 4 evaluations per pair
        for j in range(i, k):
            H[i, j] = H[j, i] = (
                neg_loglik(z + e[i] + e[j]) - neg_loglik(z + e[i] - e[j])
                - neg_loglik(z - e[i] + e[j]) + neg_loglik(z - e[i] - e[j])
            ) / (4 * step * step)
    if not np.isfinite(H).all():
        return np.full((k, k), np.nan)
    eig = np.linalg.eigvalsh(H)
    if eig.min() <= 1e-10 * max(eig.max(), 1.0):
        return np.full((k, k), np.nan)
    J = np.asarray(jacobian, dtype="float64")
    return J @ np.linalg.inv(H) @ J.T


def standard_errors(
    neg_loglik: Callable, theta: np.ndarray, args: tuple, step: float = 1e-5
) -> np.ndarray:
    """Standard errors of ``exp(theta)``: the square roots of :func:`covariance`'s diagonal.

    Returns
    -------
    numpy.ndarray
        NaN for every parameter when the Hessian is not positive definite
        (the maximum is not a proper one); a zero is never reported.

    Examples
    --------
    >>> def quad(z):  # a log-likelihood with curvature 4 in each direction
    ...     return 2 * np.sum(z**2), 4 * z
    >>> np.round(standard_errors(quad, np.zeros(2), ()), 6).tolist()
    [0.5, 0.5]
    >>> def flat(z):  # no information about the second parameter
    ...     return 2 * z[0] ** 2, np.array([4 * z[0], 0.0])
    >>> standard_errors(flat, np.zeros(2), ()).tolist()
    [nan, nan]
    """
    return np.sqrt(np.diag(covariance(neg_loglik, theta, args, step)))


def fitted_param(name: str, doc: str, settable: bool = False) -> property:
    """One entry of a fitted model's ``params_`` as an attribute (``alpha_``, ``decay_``).

    Reading it before ``fit`` raises scikit-learn's ``NotFittedError``; a
    settable one lets a lesson put known parameters in place of fitted ones.

    Examples
    --------
    >>> from crmlib.retention import ShiftedBetaGeometric
    >>> m = ShiftedBetaGeometric()  # alpha_ = fitted_param("alpha", ..., settable=True)
    >>> m.alpha_ = 2
    >>> m.alpha_, m.params_
    (2.0, {'alpha': 2.0})
    """

    def get(self) -> float:
        check_is_fitted(self, "params_")
        return self.params_[name]

    def put(self, value: float) -> None:
        self.params_ = {**getattr(self, "params_", {}), name: float(value)}

    return property(get, put if settable else None, doc=doc)


class FittedModel:
    """The one contract of the course's fitted models, as scikit-learn users expect.

    After ``fit`` a model has:

    * ``params_``: dict of parameter name to estimate (floats);
    * ``standard_errors_``: dict of the same names to asymptotic standard errors
      (NaN where the data do not support one);
    * ``covariance_``: their covariance matrix, a DataFrame indexed by name;
    * ``loglik_``: the maximised log-likelihood;
    * ``n_obs_``: how many observations (customers, people asked) it was fitted to,
      counting each aggregated row by its weight;
    * ``converged_``: False when the fit warned (see :func:`check_fit`).

    ``summary()`` tabulates estimates, standard errors and 95% intervals, and
    ``to_json``/``from_json`` save and load a fitted model as plain JSON (never
    pickle, so a file from elsewhere cannot run code). A model sets
    ``_param_names`` and, for shares in (0, 1), ``_shares``: their interval is
    symmetric in logit, every other parameter's in log (so it never crosses zero).
    """

    _param_names: tuple[str, ...] = ()
    _shares: tuple[str, ...] = ()
    _model_name: str = ""

    # ------------------------------------------------------------------ recording
    def _set_fit(self, params, cov, loglik: float, n_obs: float, converged: bool) -> None:
        names = list(self._param_names)
        self.params_ = {n: float(params[i]) for i, n in enumerate(names)}
        cov = np.array(cov, dtype="float64").reshape(len(names), len(names))
        se = np.sqrt(np.diag(cov))
        self.standard_errors_ = {n: float(se[i]) for i, n in enumerate(names)}
        self.covariance_ = pd.DataFrame(cov, index=pd.Index(names, name="parameter"),
                                        columns=names)
        self.loglik_ = float(loglik)
        self.n_obs_ = int(n_obs) if float(n_obs).is_integer() else float(n_obs)
        self.converged_ = bool(converged)

    def _record_log_fit(self, res: optimize.OptimizeResult, neg_loglik: Callable,
                        args: tuple, n_obs: float) -> None:
        """Record a fit done in log-parameters by :func:`minimize_bounded`."""
        names = list(self._param_names)
        cov = covariance(neg_loglik, res.x, args)
        se, sound = check_fit(self._model_name, names, res, neg_loglik, args, cov=cov)
        unknown = ~np.isfinite(se)  # at a bound: no variance, nor covariance
        cov[unknown, :] = np.nan
        cov[:, unknown] = np.nan
        self._set_fit(np.exp(res.x), cov, -res.fun, n_obs, sound)

    # ------------------------------------------------------------------ reporting
    def summary(self) -> pd.DataFrame:
        """Estimate, standard error and 95% interval of each parameter.

        The interval is symmetric in log(parameter), or in logit for a share,
        the scales the fit works in, so it stays within the parameter's range:
        for a positive parameter, estimate * exp(+-1.96 * se / estimate).
        The fit's log-likelihood, ``n_obs_`` and ``converged_`` are attributes.
        """
        check_is_fitted(self, "params_")
        names = list(self._param_names)
        est = np.array([self.params_[n] for n in names])
        se = np.array([self.standard_errors_[n] for n in names])
        share = np.array([n in self._shares for n in names])
        z = 1.959964
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.exp(z * se / est)
            low, high = est / spread, est * spread
            odds = est / (1 - est)
            odds_spread = np.exp(z * se / (est * (1 - est)))
            low = np.where(share, odds / odds_spread / (1 + odds / odds_spread), low)
            high = np.where(share, odds * odds_spread / (1 + odds * odds_spread), high)
        return pd.DataFrame(
            {"estimate": est, "std_error": se, "ci_95_low": low, "ci_95_high": high},
            index=pd.Index(names, name="parameter"),
        )

    # ------------------------------------------------------------------ saving
    def to_json(self, path: str | os.PathLike) -> Path:
        """Save the fitted model as plain JSON (settings, estimates, errors, fit facts).

        Returns
        -------
        pathlib.Path
            The file written (atomically: a reader never sees half a file).
        """
        check_is_fitted(self, "params_")
        doc = {
            "format": "crmlib-model/1",
            "model": type(self).__name__,
            "settings": self.get_params(),
            "params": self.params_,
            "standard_errors": {k: _json_float(v) for k, v in self.standard_errors_.items()},
            "covariance": [[_json_float(v) for v in row] for row in
                           self.covariance_.to_numpy().tolist()],
            "loglik": self.loglik_,
            "n_obs": self.n_obs_,
            "converged": self.converged_,
        }
        from crmlib.atomic import write_atomic

        path = Path(path)
        write_atomic(path, json.dumps(doc, indent=1) + "\n")
        return path

    @classmethod
    def from_json(cls, path: str | os.PathLike):
        """Load a model saved by :meth:`to_json`.

        Raises
        ------
        crmlib.errors.ArgumentError
            The file is not a saved model of this class (the message names the
            file and what is wrong); it is also a ``ValueError``.
        """
        path = Path(path)
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ArgumentError(f"{path}: not a saved model ({err})") from err
        if not isinstance(doc, dict) or doc.get("format") != "crmlib-model/1":
            raise ArgumentError(f"{path}: not a model saved by crmlib (no 'format': "
                             "'crmlib-model/1')")
        if doc.get("model") != cls.__name__:
            raise ArgumentError(f"{path}: holds a {doc.get('model')} model, not a {cls.__name__}")
        missing = [k for k in ("params", "covariance", "loglik", "n_obs", "converged")
                   if k not in doc]
        if missing:
            raise ArgumentError(f"{path}: a saved model without {missing}")
        names = list(cls._param_names)
        params = doc["params"]
        if not isinstance(params, dict) or sorted(params) != sorted(names):
            raise ArgumentError(f"{path}: parameters {sorted(params)}, expected {sorted(names)}")
        model = cls(**doc.get("settings", {}))
        cov = np.array([[np.nan if v is None else v for v in row] for row in doc["covariance"]],
                       dtype="float64")
        model._set_fit([params[n] for n in names], cov, doc["loglik"], doc["n_obs"],
                       doc["converged"])
        return model


def _json_float(v: float) -> float | None:
    """NaN as JSON's null (JSON has no NaN)."""
    return None if not np.isfinite(v) else float(v)
