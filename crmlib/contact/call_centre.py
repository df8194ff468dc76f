"""The call centre behind a free-phone number: Erlang C, a simulated queue with
callers who hang up, the calls a TV spot brings, and replays of a call log under
another staffing plan or another spot schedule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.checks import (
    check_count,
    check_number,
    check_numbers,
    check_same_length,
    require_columns,
)
from crmlib.errors import ArgumentError

__all__ = [
    "calls_after_spots",
    "erlang_c",
    "erlang_c_wait",
    "estimate_patience",
    "replay_calls",
    "retime_spot_calls",
    "simulate_call_centre",
    "simulate_queue",
]


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
    arrival_rate = check_number(arrival_rate, "arrival_rate", low=0)
    handle_time = check_number(handle_time, "handle_time", low=0, low_open=True)
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
    arrival = check_numbers(arrival, "arrival", ndim=1, what="times in seconds")
    patience = check_numbers(
        patience, "patience", low=0, ndim=1, finite=False, what="times in seconds"
    )
    handle = check_numbers(handle, "handle", low=0, ndim=1, what="times in seconds")
    check_same_length({"arrival": arrival, "patience": patience, "handle": handle})
    agents_by_hour = check_numbers(
        agents_by_hour, "agents_by_hour", low=0, ndim=1, integer=True, what="counts of agents"
    ).astype("int64")
    if (np.diff(arrival) < 0).any():
        raise ArgumentError("arrival must be sorted")
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
    patience = check_number(patience, "patience", low=0, low_open=True, finite=False)
    hours = check_number(hours, "hours", low=0, low_open=True)
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
    hung up, or found the line closed). Each call counts once, for the latest
    spot aired at or before it: when spots air close together, a spot's window
    ends where the next one's begins.

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
    >>> two = pd.DataFrame({"air_time": pd.to_datetime(["2025-09-01 19:00",
    ...                                                 "2025-09-01 19:10"])})
    >>> calls_after_spots(calls, two)[["calls", "lost"]].values.tolist()  # 19:20 is the second's
    [[1, 0], [1, 1]]
    """
    require_columns(calls, {"arrival": arrival, "outcome": outcome}, "calls")
    require_columns(spots, {"air": air}, "spots")
    minutes = check_number(minutes, "minutes", low=0, low_open=True)
    log = calls.sort_values(arrival, kind="stable")
    t = log[arrival].to_numpy()
    lost = np.r_[0, np.cumsum(log[outcome].to_numpy() != "answered")]
    start = spots[air].to_numpy()
    order = np.argsort(start, kind="stable")
    sorted_start = start[order]
    # a window ends after ``minutes`` or when the next spot airs, whichever comes first
    nxt = np.r_[sorted_start[1:], np.datetime64("NaT")]
    end = sorted_start + pd.Timedelta(minutes=minutes).to_timedelta64()
    end = np.where(np.isnat(nxt) | (end <= nxt), end, nxt)
    lo_sorted = np.searchsorted(t, sorted_start, side="left")
    hi_sorted = np.searchsorted(t, end, side="left")
    lo, hi = np.empty_like(lo_sorted), np.empty_like(hi_sorted)
    lo[order], hi[order] = lo_sorted, hi_sorted
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
    w = check_numbers(wait, "wait", low=0, ndim=1, empty=False, what="waiting times")
    a = np.asarray(abandoned, dtype=bool)
    if a.ndim != 1:
        raise ArgumentError(f"abandoned must be one flag per caller, got shape {a.shape}")
    check_same_length({"wait": w, "abandoned": a})
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
    handle = check_numbers(
        handle_seconds, "handle_seconds", low=0, ndim=1, empty=False, what="talk times in seconds"
    )
    patience_seconds = check_number(
        patience_seconds, "patience_seconds", low=0, low_open=True, finite=False
    )
    slots = staffing["date"] + pd.to_timedelta(staffing["hour"], unit="h")
    origin = slots.min()
    index = ((slots - origin) // pd.Timedelta(hours=1)).to_numpy()
    agents = np.zeros(int(index.max()) + 1, dtype="int64")
    agents[index] = staffing["agents"].to_numpy()
    t = (pd.DatetimeIndex(arrival_time) - origin).total_seconds().to_numpy()
    if (t < 0).any() or (t >= len(agents) * 3600).any():
        raise ArgumentError("arrival_time: calls outside the hours covered by staffing")
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
        raise ArgumentError("move must hold one boolean per spot")
    to_hour = check_number(to_hour, "to_hour", low=0, high=24, high_open=True)
    minutes = check_number(minutes, "minutes", low=0, low_open=True)
    order = np.argsort(air.asi8, kind="stable")
    air, mv = air[order], mv[order]
    last = np.searchsorted(air.asi8, t.asi8, side="right") - 1
    ok = last >= 0
    spot = air[np.clip(last, 0, None)]
    shift = ((spot.normalize() + pd.Timedelta(hours=to_hour)) - spot).as_unit("ns")
    inside = ok & mv[np.clip(last, 0, None)] & ((t - spot) < pd.Timedelta(minutes=minutes))
    return t + pd.to_timedelta(np.where(inside, shift.asi8, 0), unit="ns")
