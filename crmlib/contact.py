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


def order_margin(
    purchases: pd.DataFrame, order_items: pd.DataFrame, products: pd.DataFrame
) -> pd.Series:
    """Gross margin of each order: what the basket earned over its cost, less the discount.

    The margin of an order is the sum over its lines of ``quantity x
    (unit_price - unit_cost)`` minus the order's ``discount``.

    Parameters
    ----------
    purchases : pandas.DataFrame
        One row per order with ``order_id`` and ``discount``.
    order_items : pandas.DataFrame
        One row per order line with ``order_id``, ``product_id``, ``quantity``
        and ``unit_price``.
    products : pandas.DataFrame
        The catalogue with ``product_id`` and ``unit_cost``.

    Returns
    -------
    pandas.Series
        Margin in dollars, indexed by ``order_id`` in the order of ``purchases``
        (an order without lines earns minus its discount).

    Examples
    --------
    >>> purchases = pd.DataFrame({"order_id": [1, 2], "discount": [0.0, 1.0]})
    >>> items = pd.DataFrame({"order_id": [1, 1, 2], "product_id": [7, 8, 7],
    ...                       "quantity": [2, 1, 1], "unit_price": [4.0, 15.0, 4.0]})
    >>> products = pd.DataFrame({"product_id": [7, 8], "unit_cost": [1.0, 6.0]})
    >>> order_margin(purchases, items, products).tolist()  # 2 x 3 + 9, then 3 - 1
    [15.0, 2.0]
    """
    require_columns(purchases, {"order_id": "order_id", "discount": "discount"}, "purchases")
    require_columns(
        order_items,
        {"order_id": "order_id", "product_id": "product_id", "quantity": "quantity",
         "unit_price": "unit_price"},
        "order_items",
    )
    require_columns(products, {"product_id": "product_id", "unit_cost": "unit_cost"}, "products")
    cost = products.set_index("product_id")["unit_cost"]
    unknown = ~order_items["product_id"].isin(cost.index)
    if unknown.any():
        raise ValueError(
            f"order_items: product_id {order_items.loc[unknown, 'product_id'].iloc[0]} "
            "is not in products"
        )
    line = order_items["quantity"] * (
        order_items["unit_price"] - cost.reindex(order_items["product_id"]).to_numpy()
    )
    basket = line.groupby(order_items["order_id"]).sum()
    ids = purchases["order_id"]
    out = basket.reindex(ids).fillna(0.0).to_numpy() - purchases["discount"].to_numpy()
    return pd.Series(out, index=pd.Index(ids, name="order_id"), name="margin")


def first_year_value(
    purchases: pd.DataFrame,
    signup: pd.Series,
    value: str = "margin",
    end=None,
    days: int = 365,
    customer: str = "customer_id",
    date: str = "date",
) -> pd.Series:
    """What each customer brought in during their first ``days`` days.

    Only customers whose whole first year lies before ``end`` are kept, so a
    customer who joined last month is not counted as a poor one.

    Parameters
    ----------
    purchases : pandas.DataFrame
        One row per order with the customer, the date and the value column.
    signup : pandas.Series
        Sign-up date of each customer, indexed by customer id.
    value : str
        Column to add up (a margin or an amount).
    end : date-like, optional
        Last day of the data; default the last purchase date.
    days : int
        Length of the first year.
    customer, date : str
        Column names.

    Returns
    -------
    pandas.Series
        Per customer (index: customer id, sorted), the sum of ``value`` over
        orders dated from the sign-up day to ``days - 1`` days later; 0 for a
        customer with no order in that window.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2], "margin": [5.0, 7.0, 3.0],
    ...                    "date": pd.to_datetime(["2024-01-01", "2025-01-05", "2024-12-01"])})
    >>> signup = pd.Series(pd.to_datetime(["2024-01-01", "2024-12-01"]), index=[1, 2])
    >>> first_year_value(tx, signup, end="2025-06-30").tolist()  # customer 2 is too new
    [5.0]
    """
    require_columns(purchases, {"customer": customer, "date": date, "value": value}, "purchases")
    if not isinstance(signup, pd.Series):
        raise ValueError("signup must be a pandas Series of dates indexed by customer id")
    days = check_count(days, "days")
    end = purchases[date].max() if end is None else pd.Timestamp(end)
    horizon = pd.Timedelta(days=days)
    full = signup[signup + horizon - pd.Timedelta(days=1) <= end]
    start = full.reindex(purchases[customer]).to_numpy()
    d = purchases[date].to_numpy()
    inside = ~pd.isna(start) & (d >= start) & (d < start + horizon)
    total = purchases.loc[inside, value].groupby(purchases.loc[inside, customer]).sum()
    out = total.reindex(full.index, fill_value=0.0).astype("float64").sort_index()
    out.index.name = customer
    return out.rename(f"first_year_{value}")


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
    # The loop is sequential by nature (each answer frees an agent later); it runs on
    # plain Python floats, which for a handful of agents is several times faster than
    # numpy calls on tiny arrays, with the same IEEE arithmetic and the same ties (the
    # first agent of the earliest start, as argmin).
    next_on_l = next_on.tolist()
    shift = agents_by_hour.tolist()
    free_at = [0.0] * n_agents
    wait = np.zeros(len(arrival))
    outcome = np.full(len(arrival), "answered", dtype=object)
    pat, talk = patience.tolist(), handle.tolist()
    for i, t0 in enumerate(arrival.tolist()):
        hour = int(t0 // 3600)
        if hour >= hours or shift[hour] == 0:
            outcome[i] = "closed"
            continue
        best, best_j, best_on = 0.0, -1, 0
        for j in range(n_agents):
            start = free_at[j] if free_at[j] > t0 else t0
            h = min(int(start // 3600), hours)
            on_hour = next_on_l[j][h]
            if on_hour != h:
                start = on_hour * 3600.0
            if best_j < 0 or start < best:
                best, best_j, best_on = start, j, on_hour
        w = best - t0
        if w > pat[i] or best_on >= hours:
            outcome[i] = "abandoned"
            wait[i] = min(pat[i], w)
            continue
        wait[i] = w
        free_at[best_j] = best + talk[i]
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


def calls_after_spots(
    calls: pd.DataFrame,
    spots: pd.DataFrame,
    minutes: float = 30.0,
    arrival: str = "arrival_time",
    outcome: str = "outcome",
    air: str = "air_time",
) -> pd.DataFrame:
    """Calls that came in during the ``minutes`` after each TV spot, and how many were lost.

    A call is lost when its outcome is anything but ``"answered"`` (the caller
    hung up, or found the line closed). Windows of spots aired close together
    overlap, and a call in both is counted for each.

    Parameters
    ----------
    calls : pandas.DataFrame
        The call log: arrival time and outcome of every call.
    spots : pandas.DataFrame
        One row per airing with its air time.
    minutes : float
        Length of the window after each airing.
    arrival, outcome, air : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        ``spots`` with two more columns, ``calls`` and ``lost``.

    Examples
    --------
    >>> calls = pd.DataFrame({"arrival_time": pd.to_datetime(
    ...     ["2025-09-01 19:05", "2025-09-01 19:20", "2025-09-01 19:50"]),
    ...     "outcome": ["answered", "abandoned", "answered"]})
    >>> spots = pd.DataFrame({"air_time": pd.to_datetime(["2025-09-01 19:00"])})
    >>> calls_after_spots(calls, spots)[["calls", "lost"]].values.tolist()
    [[2, 1]]
    """
    require_columns(calls, {"arrival": arrival, "outcome": outcome}, "calls")
    require_columns(spots, {"air": air}, "spots")
    if not (np.isfinite(minutes) and minutes > 0):
        raise ValueError(f"minutes must be a positive number, got {minutes!r}")
    log = calls.sort_values(arrival, kind="stable")
    t = log[arrival].to_numpy()
    lost = np.r_[0, np.cumsum(log[outcome].to_numpy() != "answered")]
    start = spots[air].to_numpy()
    lo = np.searchsorted(t, start, side="left")
    hi = np.searchsorted(t, start + pd.Timedelta(minutes=minutes).to_timedelta64(), side="left")
    return spots.assign(calls=hi - lo, lost=lost[hi] - lost[lo])


def estimate_patience(wait, abandoned) -> float:
    """Mean patience of callers, from a call log (exponential patience, censored waits).

    A caller who hung up waited exactly as long as their patience; a caller
    who was answered after waiting ``w`` had a patience longer than ``w``. For
    exponential patience the maximum-likelihood mean is the total time all
    callers spent waiting over the number who hung up.

    Parameters
    ----------
    wait : array-like
        Time each caller waited (until answered or until hanging up). Leave out
        calls that found the line closed.
    abandoned : array-like of bool
        True for callers who hung up.

    Returns
    -------
    float
        Mean patience, in the unit of ``wait``; inf if nobody hung up.

    Examples
    --------
    >>> estimate_patience([60, 120, 0, 30], [True, False, False, True])  # 210 s / 2
    105.0
    """
    w = np.asarray(wait, dtype="float64")
    a = np.asarray(abandoned, dtype=bool)
    if w.shape != a.shape or w.ndim != 1 or not len(w):
        raise ValueError("wait and abandoned must be one-dimensional and of the same length")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("wait must hold non-negative numbers")
    return float(w.sum() / a.sum()) if a.any() else float("inf")


def replay_calls(
    arrival_time,
    staffing: pd.DataFrame,
    handle_seconds,
    patience_seconds: float,
    seed: int = 0,
) -> np.ndarray:
    """Run a call log's arrivals through a call centre with another staffing plan.

    Each caller gets a talk time drawn (with replacement) from the observed
    ``handle_seconds`` and an exponential patience with mean
    ``patience_seconds``; the queue is first come, first served
    (:func:`simulate_queue`).

    Parameters
    ----------
    arrival_time : array-like of datetime
        When each call came in.
    staffing : pandas.DataFrame
        Columns ``date``, ``hour`` and ``agents`` (0 = closed), one row per hour,
        covering every arrival.
    handle_seconds : array-like
        Observed talk times of answered calls, to resample from.
    patience_seconds : float
        Mean patience.
    seed : int
        Random seed.

    Returns
    -------
    numpy.ndarray of str
        Outcome of each call, in the order given: ``answered``, ``abandoned``
        or ``closed``.

    Examples
    --------
    >>> staff = pd.DataFrame({"date": pd.to_datetime(["2025-09-01"] * 2),
    ...                       "hour": [9, 10], "agents": [1, 0]})
    >>> t = pd.to_datetime(["2025-09-01 09:00", "2025-09-01 09:01", "2025-09-01 10:30"])
    >>> replay_calls(t, staff, [600.0], patience_seconds=1e-9).tolist()
    ['answered', 'abandoned', 'closed']
    """
    require_columns(staffing, {"date": "date", "hour": "hour", "agents": "agents"}, "staffing")
    handle = np.asarray(handle_seconds, dtype="float64")
    if handle.ndim != 1 or not len(handle) or not np.isfinite(handle).all() or (handle < 0).any():
        raise ValueError("handle_seconds must be a non-empty list of non-negative numbers")
    if not (patience_seconds > 0):
        raise ValueError(f"patience_seconds must be positive, got {patience_seconds!r}")
    slots = staffing["date"] + pd.to_timedelta(staffing["hour"], unit="h")
    origin = slots.min()
    index = ((slots - origin) // pd.Timedelta(hours=1)).to_numpy()
    agents = np.zeros(int(index.max()) + 1, dtype="int64")
    agents[index] = staffing["agents"].to_numpy()
    t = (pd.DatetimeIndex(arrival_time) - origin).total_seconds().to_numpy()
    if (t < 0).any() or (t >= len(agents) * 3600).any():
        raise ValueError("arrival_time: calls outside the hours covered by staffing")
    order = np.argsort(t, kind="stable")
    rng = np.random.default_rng(seed)
    n = len(t)
    _, outcome = simulate_queue(
        t[order], rng.exponential(patience_seconds, n), rng.choice(handle, n), agents
    )
    out = np.empty(n, dtype=outcome.dtype)
    out[order] = outcome
    return out


def retime_spot_calls(arrival_time, air_time, move, to_hour: float, minutes: float = 45.0):
    """Arrival times as they would be had some spots aired at ``to_hour`` on the same day.

    Every call that came in within ``minutes`` after a spot marked in ``move``
    (the latest spot before the call) is shifted by as much as that spot is
    moved, so the burst it brought keeps its shape; other calls stay put.

    Parameters
    ----------
    arrival_time : array-like of datetime
        When each call came in.
    air_time : array-like of datetime
        When each spot aired.
    move : array-like of bool
        Which spots to move.
    to_hour : float
        New air time, hours after midnight of the spot's day (14.5 = 14:30).
    minutes : float
        How long after a spot its callers keep calling.

    Returns
    -------
    pandas.DatetimeIndex
        The new arrival times, in the order given (no longer sorted).

    Examples
    --------
    >>> calls = pd.to_datetime(["2025-09-01 19:10", "2025-09-01 21:00"])
    >>> retime_spot_calls(calls, pd.to_datetime(["2025-09-01 19:00"]), [True], 14).strftime(
    ...     "%H:%M").tolist()
    ['14:10', '21:00']
    """
    t = pd.DatetimeIndex(arrival_time).as_unit("ns")
    air = pd.DatetimeIndex(air_time).as_unit("ns")
    mv = np.asarray(move, dtype=bool)
    if mv.shape != (len(air),):
        raise ValueError("move must hold one boolean per spot")
    if not 0 <= to_hour < 24:
        raise ValueError(f"to_hour must lie in [0, 24), got {to_hour!r}")
    if not (np.isfinite(minutes) and minutes > 0):
        raise ValueError(f"minutes must be a positive number, got {minutes!r}")
    order = np.argsort(air.asi8, kind="stable")
    air, mv = air[order], mv[order]
    last = np.searchsorted(air.asi8, t.asi8, side="right") - 1
    ok = last >= 0
    spot = air[np.clip(last, 0, None)]
    shift = ((spot.normalize() + pd.Timedelta(hours=to_hour)) - spot).as_unit("ns")
    inside = ok & mv[np.clip(last, 0, None)] & ((t - spot) < pd.Timedelta(minutes=minutes))
    return t + pd.to_timedelta(np.where(inside, shift.asi8, 0), unit="ns")
