"""Continuity of contact: response to repeated exposures, contact economics,
awareness (adstock) and the call centre behind a free-phone number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, signal, special
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from crmlib.checks import check_count, require_columns


# --------------------------------------------------------------------------- response
def response_by_exposure(
    contacts: pd.DataFrame, exposure: str = "exposure", responded: str = "responded"
) -> pd.DataFrame:
    """Response rate at the 1st, 2nd, 3rd ... exposure, and cumulatively.

    Parameters
    ----------
    contacts : pandas.DataFrame
        One row per contact, people who responded receiving no later waves.
    exposure, responded : str
        Column names: the exposure number (1, 2, ...) and a boolean response.

    Returns
    -------
    pandas.DataFrame
        Per exposure: ``contacted``, ``responses``, ``response_rate`` (of
        those contacted at that exposure) and ``cumulative_response`` (share
        of the people first contacted who have responded by then).
    """
    require_columns(contacts, {"exposure": exposure, "responded": responded}, "contacts")
    g = contacts.groupby(exposure)[responded]
    out = pd.DataFrame({"contacted": g.size(), "responses": g.sum().astype("int64")})
    out["response_rate"] = out["responses"] / out["contacted"]
    out["cumulative_response"] = out["responses"].cumsum() / out["contacted"].iloc[0]
    return out


def route_economics(
    contacts: pd.DataFrame,
    route: str,
    cost_per_contact: str,
    lead: str = "responded",
    sale: str = "sale",
) -> pd.DataFrame:
    """Cost per contact, per lead and per sale of each contact route.

    Parameters
    ----------
    contacts : pandas.DataFrame
        One row per contact with its route, its cost and its outcomes.
    route, cost_per_contact, lead, sale : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Per route: ``contacts``, ``leads``, ``sales``, ``cost``,
        ``cost_per_contact``, ``cost_per_lead``, ``cost_per_sale`` (inf when
        there was no lead or sale, whatever the cost), sorted by cost per sale.

    Examples
    --------
    >>> contacts = pd.DataFrame({"route": ["mail", "mail", "call"], "cost": [2.0, 2.0, 5.0],
    ...                          "responded": [True, False, True], "sale": [True, False, False]})
    >>> route_economics(contacts, "route", "cost")[["cost_per_lead", "cost_per_sale"]]
           cost_per_lead  cost_per_sale
    route
    mail             4.0            4.0
    call             5.0            inf
    """
    require_columns(
        contacts,
        {"route": route, "cost_per_contact": cost_per_contact, "lead": lead, "sale": sale},
        "contacts",
    )
    if (contacts[cost_per_contact] < 0).any():
        raise ValueError(f"cost_per_contact={cost_per_contact!r}: negative costs")
    g = contacts.groupby(route)
    out = pd.DataFrame(
        {
            "contacts": g.size(),
            "leads": g[lead].sum().astype("int64"),
            "sales": g[sale].sum().astype("int64"),
            "cost": g[cost_per_contact].sum(),
        }
    )
    out["cost_per_contact"] = out["cost"] / out["contacts"]
    for per, count in (("cost_per_lead", "leads"), ("cost_per_sale", "sales")):
        # No lead (sale) means none was bought at any price: inf, even at zero cost.
        out[per] = (out["cost"] / out[count].where(out[count] > 0)).fillna(np.inf)
    return out.sort_values("cost_per_sale")


# --------------------------------------------------------------------------- awareness
def adstock(grps, decay: float) -> np.ndarray:
    """Advertising stock: A_t = decay * A_(t-1) + GRP_t, starting from 0.

    Examples
    --------
    >>> adstock([100, 0, 0], 0.5)
    array([100.,  50.,  25.])
    """
    g = np.asarray(grps, dtype="float64")
    if g.ndim != 1 or not np.isfinite(g).all() or (g < 0).any():
        raise ValueError("grps must be a one-dimensional list of non-negative numbers")
    if not 0 <= decay < 1:
        raise ValueError(f"decay must lie in [0, 1), got {decay!r}")
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
    if not (0 <= base <= 1 and 0 <= ceiling <= 1 - base + 1e-12 and k >= 0):
        raise ValueError("need 0 <= base, 0 <= ceiling <= 1 - base and k >= 0")
    return base + ceiling * (1 - np.exp(-k * adstock(grps, decay)))


class AwarenessModel(BaseEstimator):
    """Awareness built by advertising: base + ceiling * (1 - exp(-k * adstock)).

    Fitted to tracking-survey counts by binomial maximum likelihood (Nelder-Mead
    from three starting decays, keeping the best). Parameters are searched in
    an unbounded scale (logit of decay, base and the ceiling's share of
    1 - base, log of k), so a fit that runs off towards 0 or 1 of a share, or
    towards 0 or infinity of k, warns with a
    :class:`~sklearn.exceptions.ConvergenceWarning`.

    Attributes
    ----------
    decay_, base_, ceiling_, k_ : float
        Fitted parameters (see :func:`awareness_curve`).
    loglik_ : float
        Maximised log-likelihood.
    converged_ : bool
        False when the fit warned.

    Examples
    --------
    >>> grps = np.r_[np.full(6, 150.0), np.zeros(10)]
    >>> truth = awareness_curve(grps, 0.7, 0.08, 0.55, 0.004)
    >>> m = AwarenessModel().fit(grps, np.round(truth * 4000), np.full(16, 4000))
    >>> round(m.decay_, 1), round(m.base_, 2)
    (0.7, 0.08)
    """

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
        from crmlib.fitting import check_fit

        g = np.asarray(grps, dtype="float64")
        y = np.asarray(aware, dtype="float64")
        n = np.asarray(sample_size, dtype="float64")
        if not (g.shape == y.shape == n.shape) or g.ndim != 1:
            raise ValueError("grps, aware and sample_size must have the same length")
        if (y < 0).any() or (y > n).any():
            raise ValueError("aware must lie between 0 and sample_size")

        def neg(z):
            p = np.clip(awareness_curve(g, *_unpack_awareness(z)), 1e-12, 1 - 1e-12)
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
        self.decay_, self.base_, self.ceiling_, self.k_ = (
            float(v) for v in _unpack_awareness(best.x)
        )
        # A share within 1e-6 of 0 or 1 (|logit| > 13.8), or k beyond exp(+-13.8).
        stuck = np.abs(best.x) > 13.8
        _, self.converged_ = check_fit(
            "awareness", ["decay", "base", "ceiling", "k"], best, stuck=stuck
        )
        self.loglik_ = float(-best.fun)
        return self

    def predict(self, grps) -> np.ndarray:
        """Awareness in each period under the fitted parameters."""
        check_is_fitted(self, "decay_")
        return awareness_curve(grps, self.decay_, self.base_, self.ceiling_, self.k_)


def _unpack_awareness(z):
    decay, base, share = special.expit(z[:3])
    return decay, base, (1 - base) * share, np.exp(z[3])


def fit_awareness(grps, aware, sample_size) -> dict[str, float]:
    """Fit the awareness model and return its parameters as a dict.

    A shortcut for :class:`AwarenessModel` (same arguments, same warnings).

    Returns
    -------
    dict
        ``decay``, ``base``, ``ceiling``, ``k`` and ``loglik``.
    """
    m = AwarenessModel().fit(grps, aware, sample_size)
    return {
        "decay": m.decay_,
        "base": m.base_,
        "ceiling": m.ceiling_,
        "k": m.k_,
        "loglik": m.loglik_,
    }


# --------------------------------------------------------------------------- call centre
def erlang_c(arrival_rate: float, handle_time: float, agents: int) -> float:
    """Probability that a caller has to wait (Erlang C, callers never hang up).

    Parameters
    ----------
    arrival_rate : float
        Calls per unit of time.
    handle_time : float
        Mean talk time, in the same unit.
    agents : int
        Agents answering.

    Returns
    -------
    float
        P(wait > 0); 1.0 when the load reaches the number of agents (the
        queue grows without bound).

    Examples
    --------
    >>> round(erlang_c(100 / 1800, 180, 11), 4)  # 100 calls in 30 min, 3-min calls
    0.6821
    """
    load = _load(arrival_rate, handle_time, agents)
    if load >= agents:
        return 1.0
    # Erlang B by its stable recursion, then C from B.
    b = 1.0
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return float(agents * b / (agents - load * (1 - b)))


def _load(arrival_rate, handle_time, agents) -> float:
    if not (np.isfinite(arrival_rate) and arrival_rate >= 0):
        raise ValueError(f"arrival_rate must be a non-negative number, got {arrival_rate!r}")
    if not (np.isfinite(handle_time) and handle_time > 0):
        raise ValueError(f"handle_time must be a positive number, got {handle_time!r}")
    check_count(agents, "agents")
    return arrival_rate * handle_time


def erlang_c_wait(
    arrival_rate: float, handle_time: float, agents: int, target: float = 20.0
) -> dict[str, float]:
    """Queue figures of an Erlang C call centre.

    Returns
    -------
    dict
        ``p_wait``, ``mean_wait`` (average speed of answer, all callers),
        ``service_level`` (share answered within ``target``) and
        ``occupancy`` (load / agents); waits are infinite and the service
        level 0 when the load reaches the number of agents.
    """
    load = _load(arrival_rate, handle_time, agents)
    if load >= agents:
        return {"p_wait": 1.0, "mean_wait": float("inf"), "service_level": 0.0, "occupancy": 1.0}
    pw = erlang_c(arrival_rate, handle_time, agents)
    gap = (agents - load) / handle_time
    return {
        "p_wait": pw,
        "mean_wait": pw / (agents / handle_time - arrival_rate),
        "service_level": 1 - pw * np.exp(-gap * target),
        "occupancy": load / agents,
    }


def simulate_queue(arrival, patience, handle, agents_by_hour) -> tuple[np.ndarray, np.ndarray]:
    """Simulate a first-come-first-served call centre with impatient callers.

    Agent j answers calls only in hours when ``j < agents_by_hour[h]``; a
    caller who would wait longer than their patience hangs up and takes no
    agent's time, so handling calls in arrival order is exact. Calls that
    arrive in an hour with no agent on shift find the centre closed.

    Parameters
    ----------
    arrival : array-like
        Arrival times in seconds from the start of hour 0, sorted.
    patience, handle : array-like
        Each caller's patience and talk time, in seconds.
    agents_by_hour : array-like of int
        Agents on shift in each hour.

    Returns
    -------
    wait : numpy.ndarray
        Seconds each caller waited (until answered or until hanging up).
    outcome : numpy.ndarray of str
        ``answered``, ``abandoned`` or ``closed``.
    """
    arrival = np.asarray(arrival, dtype="float64")
    patience = np.asarray(patience, dtype="float64")
    handle = np.asarray(handle, dtype="float64")
    agents_by_hour = np.asarray(agents_by_hour, dtype="int64")
    if not (arrival.shape == patience.shape == handle.shape):
        raise ValueError("arrival, patience and handle must have the same length")
    if (np.diff(arrival) < 0).any():
        raise ValueError("arrival must be sorted")
    if (agents_by_hour < 0).any():
        raise ValueError("agents_by_hour must be non-negative")
    n_agents = int(agents_by_hour.max(initial=0))
    hours = len(agents_by_hour)
    # next_on[j, h]: first hour >= h in which agent j is on shift (hours if none).
    on = agents_by_hour[None, :] > np.arange(n_agents)[:, None]
    idx = np.where(on, np.arange(hours)[None, :], hours)
    next_on = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1]
    next_on = np.concatenate([next_on, np.full((n_agents, 1), hours)], axis=1)
    free_at = np.zeros(n_agents)
    wait = np.zeros(len(arrival))
    outcome = np.full(len(arrival), "answered", dtype=object)
    for i, t0 in enumerate(arrival):
        hour = int(t0 // 3600)
        if hour >= hours or agents_by_hour[hour] == 0:
            outcome[i] = "closed"
            continue
        start = np.maximum(free_at, t0)
        h = np.minimum((start // 3600).astype(np.int64), hours)
        on_hour = next_on[np.arange(n_agents), h]
        start = np.where(on_hour == h, start, on_hour * 3600.0)
        j = int(np.argmin(start))
        w = start[j] - t0
        if w > patience[i] or on_hour[j] >= hours:
            outcome[i] = "abandoned"
            wait[i] = min(patience[i], w)
            continue
        wait[i] = w
        free_at[j] = start[j] + handle[i]
    return wait, outcome.astype(str)


def simulate_call_centre(
    arrival_rate: float,
    handle_time: float,
    patience: float,
    agents: int,
    hours: float = 1000.0,
    seed: int = 0,
) -> dict[str, float]:
    """Steady-state figures of an M/M/c+M call centre (Erlang A) by simulation.

    Parameters
    ----------
    arrival_rate : float
        Calls per second.
    handle_time, patience : float
        Mean talk time and mean patience, seconds (exponential); ``patience
        = inf`` gives the Erlang C system.
    agents : int
        Agents on shift the whole time.
    hours : float
        Simulated hours.
    seed : int
        Random seed.

    Returns
    -------
    dict
        ``p_wait`` (share who wait at all), ``abandon_rate``, ``mean_wait``
        and ``service_level_20s`` (answered within 20 s, of all callers).
    """
    _load(arrival_rate, handle_time, agents)
    rng = np.random.default_rng(seed)
    n = rng.poisson(arrival_rate * hours * 3600)
    arrival = np.sort(rng.random(n) * hours * 3600)
    pat = rng.exponential(patience, n) if np.isfinite(patience) else np.full(n, np.inf)
    wait, outcome = simulate_queue(
        arrival, pat, rng.exponential(handle_time, n), np.full(int(np.ceil(hours)), agents)
    )
    keep = arrival > 0.05 * hours * 3600  # drop the warm-up
    wait, outcome = wait[keep], outcome[keep]
    answered = outcome == "answered"
    return {
        "p_wait": float(np.mean(wait > 0)),
        "abandon_rate": float(np.mean(~answered)),
        "mean_wait": float(np.mean(wait)),
        "service_level_20s": float(np.mean(answered & (wait <= 20))),
    }
