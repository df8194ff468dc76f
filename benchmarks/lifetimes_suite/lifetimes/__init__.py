"""lifetimes' BetaGeoFitter and GammaGammaFitter, as an adapter on top of crmlib (issue 19).

Not lifetimes: a shim importable as ``lifetimes`` (with ``lifetimes.utils`` and
``lifetimes.datasets``) so that lifetimes' own tests, vendored unmodified in
``benchmarks/lifetimes_suite/test_lifetimes_estimation.py``, can be run against
:class:`crmlib.clv.BetaGeo` and :class:`crmlib.clv.GammaGamma`. Put its folder
(``benchmarks/lifetimes_suite``) first on ``sys.path`` and the course's root after it.

Every number comes from crmlib; the adapter only renames and reshapes (lifetimes'
``params_`` Series, ``data`` frame, ``v`` for crmlib's ``gamma``, months and
monthly discount rates for crmlib's periods). What crmlib does not do, the adapter
does not imitate: it raises :class:`NotInCrmlib` (a ``NotImplementedError``)
naming what is missing, and the test that needs it fails. In particular:

* no penalizer (``penalizer_coef`` other than 0), no ``q_constraint``, no
  ``initial_params``: crmlib fits by plain maximum likelihood from its own starts;
* ``save_model``/``load_model`` are crmlib's ``to_json``/``from_json`` (plain JSON,
  never pickle): the fitted parameters and fit facts are saved, the training data
  and lifetimes' placeholder values are not;
* no ``generate_new_data`` (crmlib has no BG/NBD simulator): the attribute is None;
* no rescaling of time before the fit: ``_scale`` is 1.0 (crmlib fits in the
  data's own time unit);
* inputs crmlib refuses (a customer with no repeat purchase but a non-zero
  recency, for example) raise crmlib's ``ValueError``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import clv

__version__ = "0.11.3+crmlib-adapter"  # the lifetimes API mirrored, not a lifetimes release

__all__ = ("__version__", "BaseFitter", "BetaGeoFitter", "GammaGammaFitter", "NotInCrmlib")


class NotInCrmlib(NotImplementedError):
    """lifetimes offers this; crmlib does not (deliberately), so the adapter will not fake it."""


def _refuse_penalizer(penalizer_coef) -> None:
    if penalizer_coef != 0:
        raise NotInCrmlib(
            f"penalizer_coef={penalizer_coef!r}: crmlib fits by plain maximum likelihood "
            "and has no penalizer (only penalizer_coef=0, the unpenalized fit, maps onto it)"
        )


def _all_scalar(*values) -> bool:
    return all(np.ndim(v) == 0 for v in values)


def _plain(out, *inputs):
    """A numpy scalar when every input was a scalar (as lifetimes returns), else as is."""
    if _all_scalar(*inputs):
        return np.asarray(out, dtype="float64").reshape(-1)[0]
    return out


def _any_shape(fn, *args):
    """crmlib takes one-dimensional inputs; lifetimes' formulas broadcast in any shape
    (``conditional_probability_alive_matrix`` passes 2-D grids). Flatten, call, reshape."""
    if max(np.ndim(a) for a in args) <= 1:
        return fn(*args)
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype="float64") for a in args))
    return np.asarray(fn(*(a.ravel() for a in arrays))).reshape(arrays[0].shape)


class BaseFitter:
    """What lifetimes' fitters share, on top of a crmlib model class."""

    _crm_class: type = None
    #: lifetimes' parameter names, in order, and crmlib's name for each.
    _names: tuple[str, ...] = ()
    _crm_names: dict[str, str] = {}

    def __init__(self, penalizer_coef=0.0):
        _refuse_penalizer(penalizer_coef)
        self.penalizer_coef = penalizer_coef

    def __repr__(self):
        classname = type(self).__name__
        try:
            subj_str = f" fitted with {self.data.shape[0]:d} subjects,"
        except AttributeError:
            subj_str = ""
        try:
            param_str = ", ".join(f"{par}: {val:.2f}" for par, val in sorted(self.params_.items()))
            return f"<lifetimes.{classname}:{subj_str} {param_str}>"
        except AttributeError:
            return f"<lifetimes.{classname}>"

    def _unload_params(self, *args):
        if not hasattr(self, "params_"):
            raise ValueError("Model has not been fit yet. Please call the .fit method first.")
        return [self.params_[x] for x in args]

    # ------------------------------------------------------------------ crmlib underneath
    def _crm(self):
        """A crmlib model holding the current ``params_`` (which may have been set by hand)."""
        m = self._crm_class()
        m.params_ = {self._crm_names[k]: float(v)
                     for k, v in zip(self._names, self._unload_params(*self._names))}
        return m

    def _record(self, model, data) -> None:
        """lifetimes' attributes of a fitted (or loaded) model, from the crmlib model."""
        self._model = model
        crm_to_lt = {c: k for k, c in self._crm_names.items()}
        self.params_ = pd.Series([model.params_[self._crm_names[k]] for k in self._names],
                                 index=list(self._names), dtype="float64")
        # lifetimes' minimised objective: the mean negative log-likelihood per customer
        self._negative_log_likelihood_ = -model.loglik_ / model.n_obs_
        cov = model.covariance_.rename(index=crm_to_lt, columns=crm_to_lt)
        cov.index.name = None
        self.variance_matrix_ = cov
        self.standard_errors_ = pd.Series(
            [model.standard_errors_[self._crm_names[k]] for k in self._names],
            index=list(self._names), dtype="float64")
        s = model.summary().rename(index=crm_to_lt)
        s.index.name = None
        # crmlib's 95% intervals are symmetric in log(parameter), lifetimes' on the natural scale
        self.confidence_intervals_ = pd.DataFrame(
            {"lower 95% bound": s["ci_95_low"], "upper 95% bound": s["ci_95_high"]})
        self.data = data

    @property
    def summary(self):
        df = pd.DataFrame(index=self.params_.index)
        df["coef"] = self.params_
        df["se(coef)"] = self.standard_errors_
        df["lower 95% bound"] = self.confidence_intervals_["lower 95% bound"]
        df["upper 95% bound"] = self.confidence_intervals_["upper 95% bound"]
        return df

    @staticmethod
    def _check_fit_options(initial_params, kwargs) -> dict:
        if initial_params is not None:
            raise NotInCrmlib("initial_params: crmlib's fits choose their own starting points")
        options = {}
        if "maxiter" in kwargs:
            options["max_iter"] = int(kwargs.pop("maxiter"))
        if kwargs:
            raise NotInCrmlib(f"optimiser options crmlib does not take: {sorted(kwargs)}")
        return options

    # ------------------------------------------------------------------ saving
    def save_model(self, path, save_data=True, save_generate_data_method=True,
                   values_to_save=None):
        """crmlib's ``to_json``: the fitted model as plain JSON (parameters and fit facts).

        lifetimes pickles the whole object with dill; crmlib never pickles. Its JSON
        holds no training data and no placeholder values, so asking to save the data
        (``save_data=True`` with data present) or for placeholders (``values_to_save``
        other than None) raises :class:`NotInCrmlib` rather than dropping them silently.
        ``generate_new_data`` is always None here, so there is nothing to save for it.
        """
        model = getattr(self, "_model", None)
        if model is None:
            raise ValueError("only a fitted (or loaded) model can be saved: crmlib saves "
                             "a fit, with its standard errors and log-likelihood")
        if any(model.params_[self._crm_names[k]] != v for k, v in self.params_.items()):
            raise ValueError("params_ were changed after the fit; crmlib's JSON saves a fit")
        if save_data and getattr(self, "data", None) is not None:
            raise NotInCrmlib("save_data=True: crmlib's to_json saves the fitted model, not "
                              "its training data (use save_model(path, save_data=False))")
        if values_to_save is not None and any(v is not None for v in values_to_save):
            raise NotInCrmlib(f"values_to_save={values_to_save!r}: placeholders are pickled "
                              "objects in lifetimes; crmlib's JSON has no place for them")
        model.to_json(path)

    def load_model(self, path):
        """crmlib's ``from_json``: a model saved by :meth:`save_model` (``data`` is None)."""
        self._record(self._crm_class.from_json(path), data=None)
        self._after_load()

    def _after_load(self) -> None:
        pass


class BetaGeoFitter(BaseFitter):
    """lifetimes' BG/NBD fitter on top of :class:`crmlib.clv.BetaGeo`."""

    _crm_class = clv.BetaGeo
    _names = ("r", "alpha", "a", "b")
    _crm_names = {"r": "r", "alpha": "alpha", "a": "a", "b": "b"}

    def fit(self, frequency, recency, T, weights=None, initial_params=None, verbose=False,
            tol=None, index=None, **kwargs):
        """Fit with crmlib's BetaGeo.

        ``tol`` is crmlib's (the relative change of the log-likelihood at which the
        search stops); None keeps crmlib's default, 1e-14 (lifetimes' default, 1e-7,
        is a gradient tolerance of another optimiser). ``maxiter`` among ``kwargs``
        is crmlib's ``max_iter``; other optimiser options are refused.
        """
        options = self._check_fit_options(initial_params, kwargs)
        if tol is not None:
            options["tol"] = tol
        frequency, recency, T = np.asarray(frequency), np.asarray(recency), np.asarray(T)
        weights = (np.ones_like(recency, dtype=int) if weights is None
                   else np.asarray(weights))
        model = clv.BetaGeo(**options).fit(frequency, recency, T, weights=weights)
        self._record(model, pd.DataFrame(
            {"frequency": frequency, "recency": recency, "T": T, "weights": weights},
            index=index))
        self._after_load()
        if verbose:
            print(model.summary())
        return self

    def _after_load(self) -> None:
        self._scale = 1.0  # crmlib fits in the data's own time unit
        self.generate_new_data = None  # crmlib has no BG/NBD simulator
        self.predict = self.conditional_expected_number_of_purchases_up_to_time

    @staticmethod
    def _negative_log_likelihood(log_params, freq, rec, T, weights, penalizer_coef):
        """lifetimes' objective, the weighted mean negative log-likelihood, from crmlib's
        per-customer :meth:`crmlib.clv.BetaGeo.loglik` (``log_params`` are log r, alpha, a, b)."""
        _refuse_penalizer(penalizer_coef)
        m = clv.BetaGeo()
        m.params_ = dict(zip(("r", "alpha", "a", "b"),
                             np.exp(np.asarray(log_params, dtype="float64")).tolist()))
        ll = np.asarray(m.loglik(freq, rec, T))
        w = np.asarray(weights, dtype="float64")
        return -(w * ll).sum() / w.sum()

    def conditional_expected_number_of_purchases_up_to_time(self, t, frequency, recency, T):
        out = _any_shape(self._crm().expected_purchases, t, frequency, recency, T)
        return _plain(out, t, frequency, recency, T)

    def conditional_probability_alive(self, frequency, recency, T):
        return np.atleast_1d(np.asarray(_any_shape(self._crm().p_alive, frequency, recency, T)))

    def conditional_probability_alive_matrix(self, max_frequency=None, max_recency=None):
        max_frequency = max_frequency or int(self.data["frequency"].max())
        max_recency = max_recency or int(self.data["T"].max())
        return np.fromfunction(
            self.conditional_probability_alive, (max_frequency + 1, max_recency + 1),
            T=max_recency,
        ).T

    def expected_number_of_purchases_up_to_time(self, t):
        out = self._crm().expected_purchases_new(t)
        if isinstance(t, pd.Series):
            return pd.Series(np.atleast_1d(out), index=t.index)
        return _plain(out, t)

    def probability_of_n_purchases_up_to_time(self, t, n):
        return _plain(self._crm().probability_of_purchases(t, n), t, n)


class GammaGammaFitter(BaseFitter):
    """lifetimes' Gamma-Gamma fitter on top of :class:`crmlib.clv.GammaGamma`.

    lifetimes calls the scale parameter ``v``; crmlib calls it ``gamma``.
    """

    _crm_class = clv.GammaGamma
    _names = ("p", "q", "v")
    _crm_names = {"p": "p", "q": "q", "v": "gamma"}

    def fit(self, frequency, monetary_value, weights=None, initial_params=None, verbose=False,
            tol=None, index=None, q_constraint=False, **kwargs):
        """Fit with crmlib's GammaGamma (``tol`` and ``kwargs`` as for BetaGeoFitter)."""
        if q_constraint:
            raise NotInCrmlib("q_constraint=True: crmlib's Gamma-Gamma fit has no constraint "
                              "on q (its expected_spend refuses a fitted q <= 1 instead)")
        options = self._check_fit_options(initial_params, kwargs)
        if tol is not None:
            options["tol"] = tol
        frequency = np.asarray(frequency).astype(float)
        monetary_value = np.asarray(monetary_value).astype(float)
        weights = (np.ones_like(frequency, dtype=int) if weights is None
                   else np.asarray(weights))
        model = clv.GammaGamma(**options).fit(frequency, monetary_value, weights=weights)
        self._record(model, pd.DataFrame(
            {"monetary_value": monetary_value, "frequency": frequency, "weights": weights},
            index=index))
        if verbose:
            print(model.summary())
        return self

    def conditional_expected_average_profit(self, frequency=None, monetary_value=None):
        if monetary_value is None:
            monetary_value = self.data["monetary_value"]
        if frequency is None:
            frequency = self.data["frequency"]
        out = self._crm().expected_spend(frequency, monetary_value)
        return _plain(out, frequency, monetary_value)

    def customer_lifetime_value(self, transaction_prediction_model, frequency, recency, T,
                                monetary_value, time=12, discount_rate=0.01, freq="D"):
        """crmlib's :func:`crmlib.clv.customer_lifetime_value` in lifetimes' units.

        ``time`` months ahead, ``discount_rate`` a month, ``freq`` the unit of T (see
        :func:`lifetimes.utils._customer_lifetime_value`); the spend model is this one.
        """
        from .utils import _crmlib_clv

        return _crmlib_clv(transaction_prediction_model, self._crm(), frequency, recency, T,
                           monetary_value, time, discount_rate, freq)
