"""The autumn 2025 media push: plan, awareness, TV spots, and the phone line.

The plan is front-loaded. Awareness follows an adstock model of the weekly
GRPs; while it is raised, more people sign up on the web and existing
customers buy a little more. Spot-TV airings with a free-phone number bring
bursts of calls: callers who get through and want to order become customers,
callers who hang up (or find the line closed) are lost sales. Existing
customers' phone orders go through the same queue; one whose call is lost
calls back later, and orders on the web if the line never answers.

The simulator draws the adstock and the queue with its own code
(:func:`stock_of_grps`, :func:`run_line`), not with the lesson functions of
:mod:`crmlib.contact` (``adstock``, ``awareness_curve``, ``simulate_queue``),
so that a lesson that replays the call log or fits the awareness survey checks
those functions against an independent generator.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import pandas as pd

from crmlib.simulate import settings as S
from crmlib.simulate.streams import day_of, to_date, to_datetime

SURVEY_START = np.datetime64("2025-07-07")  # a Monday, eight weeks before the push
SURVEY_WEEKS = 26


def media_plan() -> pd.DataFrame:
    """Weekly GRPs and spend by medium."""
    weeks = S.MEDIA_START + 7 * np.arange(S.MEDIA_WEEKS).astype("timedelta64[D]")
    rows = []
    for medium, grps in S.MEDIA_PLAN.items():
        g = np.asarray(grps, dtype=float)
        rows.append(pd.DataFrame({"week_start": weeks, "medium": medium, "grps": g,
                                  "spend": np.round(g * S.COST_PER_GRP[medium], 2)}))
    return pd.concat(rows, ignore_index=True).sort_values(["week_start", "medium"],
                                                          ignore_index=True)


def awareness_truth(truth) -> tuple[np.ndarray, np.ndarray]:
    """True weekly awareness from ``SURVEY_START`` and each week's total GRPs."""
    offset = int((S.MEDIA_START - SURVEY_START).astype(int) // 7)
    grps = np.zeros(SURVEY_WEEKS)
    total = np.sum([np.asarray(g, float) for g in S.MEDIA_PLAN.values()], axis=0)
    grps[offset:offset + S.MEDIA_WEEKS] = total
    stock = stock_of_grps(grps, truth.adstock_decay)
    aware = truth.awareness_base + truth.awareness_max * (1 - np.exp(-truth.awareness_k * stock))
    return aware, grps


def stock_of_grps(grps, decay: float) -> np.ndarray:
    """Advertising stock of each week: every past week's GRPs, decayed geometrically.

    ``stock[t] = sum over s <= t of decay ** (t - s) * grps[s]`` (the simulator's
    own adstock, written as a weighted sum rather than a recursion).

    Examples
    --------
    >>> stock_of_grps([100.0, 0.0, 0.0], 0.5).tolist()
    [100.0, 50.0, 25.0]
    """
    g = np.asarray(grps, dtype="float64")
    lag = np.arange(len(g))[:, None] - np.arange(len(g))[None, :]
    weights = np.where(lag >= 0, float(decay) ** np.maximum(lag, 0), 0.0)
    return weights @ g


def run_line(arrival, patience, talk, agents_by_hour) -> tuple[np.ndarray, np.ndarray]:
    """The phone line, first come first served, with callers who hang up.

    The simulator's own queue. Agent ``j`` works the hours ``h`` with
    ``j < agents_by_hour[h]`` and finishes a call that runs past the end of a
    shift. Each caller, in order of arrival, goes to the agent who can take the
    call first (the lowest-numbered on a tie); a caller who would wait longer
    than their patience hangs up and takes nobody's time. A call in an hour
    with nobody on shift finds the line closed.

    Parameters
    ----------
    arrival : numpy.ndarray
        Sorted arrival times, seconds from the start of hour 0.
    patience, talk : numpy.ndarray
        Each caller's patience and talk time, in seconds.
    agents_by_hour : numpy.ndarray
        Agents on shift in each hour.

    Returns
    -------
    wait : numpy.ndarray
        Seconds waited (until answered, or until hanging up).
    outcome : numpy.ndarray of str
        ``answered``, ``abandoned`` or ``closed``.

    Examples
    --------
    >>> w, o = run_line(np.array([0.0, 10.0, 20.0]), np.array([60.0, 60.0, 5.0]),
    ...                 np.array([100.0, 100.0, 100.0]), np.array([1]))
    >>> w.tolist(), o.tolist()
    ([0.0, 60.0, 5.0], ['answered', 'abandoned', 'abandoned'])
    """
    staffed = np.asarray(agents_by_hour, dtype=np.int64)
    n_hours = len(staffed)
    # Each agent's working hours, as a sorted list to search.
    hours_of = [np.flatnonzero(staffed > j).tolist() for j in range(int(staffed.max(initial=0)))]
    busy_until = [0.0] * len(hours_of)
    wait = np.zeros(len(arrival))
    outcome = np.empty(len(arrival), dtype=object)
    for i, (t0, pat, dur) in enumerate(zip(np.asarray(arrival, float).tolist(),
                                           np.asarray(patience, float).tolist(),
                                           np.asarray(talk, float).tolist())):
        h0 = int(t0 // 3600)
        if h0 >= n_hours or staffed[h0] == 0:
            outcome[i] = "closed"
            continue
        first, who = np.inf, -1
        for j, hours in enumerate(hours_of):
            ready = max(busy_until[j], t0)
            k = bisect_left(hours, int(ready // 3600))
            if k == len(hours):
                continue  # no shift left for this agent
            if hours[k] != int(ready // 3600):
                ready = hours[k] * 3600.0
            if ready < first:
                first, who = ready, j
        if who < 0 or first - t0 > pat:
            outcome[i] = "abandoned"
            wait[i] = min(pat, first - t0)
            continue
        outcome[i] = "answered"
        wait[i] = first - t0
        busy_until[who] = first + dur
    return wait, outcome.astype(str)


def talk_times(rng, truth, n: int) -> np.ndarray:
    """Talk times in seconds: log-normal with mean ``mean_handle_minutes`` (no floor)."""
    sigma = truth.handle_log_sd
    mu = np.log(60 * truth.mean_handle_minutes) - sigma ** 2 / 2
    return rng.lognormal(mu, sigma, n)


def daily_push(truth, n_days: int) -> np.ndarray:
    """Raised awareness (0 to 1 of its possible rise) on each simulation day."""
    aware, _ = awareness_truth(truth)
    rise = (aware - truth.awareness_base) / truth.awareness_max
    out = np.zeros(n_days)
    first = day_of(SURVEY_START)
    days = first + np.arange(7 * SURVEY_WEEKS)
    ok = days < n_days
    out[days[ok]] = np.repeat(rise, 7)[ok]
    return out


def awareness_survey(rng: np.random.Generator, truth) -> pd.DataFrame:
    """The weekly survey: how many of 400 people know Harbor Coffee."""
    aware, _ = awareness_truth(truth)
    sample = np.full(SURVEY_WEEKS, S.AWARENESS_SAMPLE)
    hits = rng.binomial(sample, aware)
    weeks = SURVEY_START + 7 * np.arange(SURVEY_WEEKS).astype("timedelta64[D]")
    return pd.DataFrame({"week_start": weeks, "sample_size": sample, "aware": hits,
                         "aware_share": np.round(hits / sample, 4)})


def tv_spots(rng: np.random.Generator) -> pd.DataFrame:
    """Spot-TV airings: about one spot per 10 GRPs, a share at dinner time or late."""
    start = day_of(S.MEDIA_START)
    rows = []
    slots = list(S.SPOT_SLOT_SHARES)
    for w, grp in enumerate(S.MEDIA_PLAN["tv"]):
        n = int(grp // S.GRPS_PER_SPOT)
        day = start + 7 * w + rng.integers(0, 7, size=n)
        slot = rng.choice(slots, p=list(S.SPOT_SLOT_SHARES.values()), size=n)
        minute = np.select([slot == "day", slot == "dinner"],
                           [rng.integers(9 * 60, 17 * 60, n), rng.integers(18 * 60, 20 * 60, n)],
                           rng.integers(20 * 60 + 30, 21 * 60 + 30, n))
        rows.append(pd.DataFrame({"day": day, "minute": minute,
                                  "region": rng.choice(S.REGIONS, p=S.REGION_WEIGHTS, size=n),
                                  "grp": np.round(_slot_grp(rng, slot), 1)}))
    spots = pd.concat(rows).sort_values(["day", "minute"], kind="stable", ignore_index=True)
    spots.insert(0, "spot_id", np.arange(1, len(spots) + 1))
    spots["cost"] = np.round(spots["grp"] * S.COST_PER_GRP["tv"], 2)
    return spots


def _slot_grp(rng, slot: np.ndarray) -> np.ndarray:
    """Rating points of each airing, from its slot's range."""
    lo = np.array([S.SPOT_GRP_RANGE[x][0] for x in slot])
    hi = np.array([S.SPOT_GRP_RANGE[x][1] for x in slot])
    return lo + (hi - lo) * rng.random(len(slot))


def staffing() -> pd.DataFrame:
    """Agents on the phone line by hour over the twelve weeks of the push."""
    n_days = 7 * S.MEDIA_WEEKS
    dd = np.repeat(np.arange(n_days), 24)
    hh = np.tile(np.arange(24), n_days)
    weekend = (dd % 7) >= 5  # MEDIA_START is a Monday
    agents = np.where(weekend, np.asarray(S.WEEKEND_AGENTS)[hh],
                      np.asarray(S.WEEKDAY_AGENTS)[hh])
    return pd.DataFrame({"date": to_date(day_of(S.MEDIA_START) + dd), "hour": hh,
                         "agents": agents})


def _open_time(rng, day_offset: np.ndarray) -> np.ndarray:
    """A random second within the open hours of each day (0 = MEDIA_START)."""
    weekend = (day_offset % 7) >= 5
    agents = np.where(weekend[:, None], np.asarray(S.WEEKEND_AGENTS)[None, :],
                      np.asarray(S.WEEKDAY_AGENTS)[None, :]).astype(float)
    # Calls follow the staffing plan's shape: more in the busy daytime hours.
    cdf = np.cumsum(agents, axis=1)
    cdf /= cdf[:, -1:]
    hour = (rng.random(len(day_offset))[:, None] > cdf).sum(axis=1)
    return day_offset * 86400.0 + hour * 3600.0 + rng.random(len(day_offset)) * 3600.0


def phone_line(rng: np.random.Generator, truth, spots: pd.DataFrame, staff: pd.DataFrame,
               order_day: np.ndarray) -> dict[str, np.ndarray]:
    """Simulate every call to the phone line during the push.

    Parameters
    ----------
    order_day : numpy.ndarray
        Simulation day of each existing customer's phone order in the window.

    Returns
    -------
    dict
        ``calls`` (a DataFrame in arrival order, with ``kind`` = order /
        enquiry / spot order / spot enquiry and ``ref`` = index of the order
        or spot), ``web_instead`` (orders whose caller never got through and
        ordered on the web) and ``answered_time`` (seconds from MEDIA_START,
        of the call that placed each existing order, NaN if none).
    """
    start = day_of(S.MEDIA_START)
    n_days = 7 * S.MEDIA_WEEKS
    agents = staff["agents"].to_numpy()
    # Existing customers' orders, at a time of day when the line is open.
    order_t = _open_time(rng, np.floor(order_day).astype(np.int64) - start)
    # Enquiries: questions about orders, deliveries and the loyalty card.
    hour = np.arange(len(agents)) % 24
    lam = np.where(agents > 0, np.where((hour >= 9) & (hour < 17),
                                        S.ENQUIRY_CALLS_PER_HOUR["day"],
                                        S.ENQUIRY_CALLS_PER_HOUR["other"]), 0.0)
    n_enq = rng.poisson(lam)
    enq_t = np.repeat(np.arange(len(lam)), n_enq) * 3600.0 + rng.random(n_enq.sum()) * 3600
    # Spot-driven callers: a burst after each airing.
    spot_sec = ((spots["day"].to_numpy() - start) * 86400.0 + spots["minute"].to_numpy() * 60)
    n_spot = rng.poisson(spots["grp"].to_numpy() * truth.calls_per_spot_grp)
    spot_ref = np.repeat(np.arange(len(spots)), n_spot)
    spot_t = spot_sec[spot_ref] + rng.exponential(12 * 60, n_spot.sum())
    spot_order = rng.random(len(spot_t)) < truth.spot_caller_orders
    kinds = np.concatenate([np.full(len(order_t), "order"), np.full(len(enq_t), "enquiry"),
                            np.where(spot_order, "spot order", "spot enquiry")])
    refs = np.concatenate([np.arange(len(order_t)), np.full(len(enq_t), -1), spot_ref])
    times = np.concatenate([order_t, enq_t, spot_t])
    keep = times < n_days * 86400
    kinds, refs, times = kinds[keep], refs[keep], times[keep]
    patience = rng.exponential(truth.mean_patience_minutes * 60, len(times))
    handle = talk_times(rng, truth, len(times))
    tries = np.zeros(len(times), dtype=np.int64)
    lo, hi = S.CALLBACK_MINUTES
    n_orders = len(order_t)
    for _ in range(6):  # a lost order call is tried again, three times at most
        order = np.argsort(times, kind="stable")
        kinds, refs, times = kinds[order], refs[order], times[order]
        patience, handle, tries = patience[order], handle[order], tries[order]
        wait, outcome = run_line(times, patience, handle, agents)
        is_order = kinds == "order"
        got = np.zeros(n_orders, dtype=bool)
        got[refs[is_order & (outcome == "answered")]] = True
        latest = np.full(n_orders, -1)
        latest[refs[is_order]] = np.flatnonzero(is_order)  # sorted: the last call wins
        pending = np.flatnonzero(~got & (latest >= 0))
        last = latest[pending]
        pending, last = pending[tries[last] < 3], last[tries[last] < 3]
        if not len(pending):
            break
        retry_t = times[last] + rng.uniform(lo, hi, len(last)) * 60
        # A caller who found the line closed tries the next morning.
        morning = (np.floor(times[last] / 86400) + 1) * 86400 + (9 + rng.random(len(last))) * 3600
        retry_t = np.where(outcome[last] == "closed", morning, retry_t)
        ok = retry_t < n_days * 86400
        kinds = np.concatenate([kinds, np.full(ok.sum(), "order")])
        refs = np.concatenate([refs, pending[ok]])
        times = np.concatenate([times, retry_t[ok]])
        patience = np.concatenate([patience, rng.exponential(
            truth.mean_patience_minutes * 60, ok.sum())])
        handle = np.concatenate([handle, talk_times(rng, truth, ok.sum())])
        tries = np.concatenate([tries, tries[last][ok] + 1])
        if not ok.any():
            break
    if len(outcome) != len(times):  # retries added in the last round: run them too
        order = np.argsort(times, kind="stable")
        kinds, refs, times = kinds[order], refs[order], times[order]
        patience, handle, tries = patience[order], handle[order], tries[order]
        wait, outcome = run_line(times, patience, handle, agents)
    answered = outcome == "answered"
    # The first answered call of an order places it; a later answered one is a follow-up.
    is_order = (kinds == "order") & answered
    first = np.zeros(len(times), dtype=bool)
    idx = np.flatnonzero(is_order)
    _, pos = np.unique(refs[idx], return_index=True)
    first[idx[pos]] = True
    kinds = np.where(is_order & ~first, "follow-up", kinds)
    answered_time = np.full(n_orders, np.nan)
    answered_time[refs[first]] = times[first] + wait[first]
    calls = pd.DataFrame({
        "arrival": times, "kind": kinds, "ref": refs, "outcome": outcome,
        "wait_seconds": np.round(wait).astype(np.int64),
        "handle_seconds": np.where(answered, np.round(handle), 0).astype(np.int64)})
    return {"calls": calls, "web_instead": np.isnan(answered_time),
            "answered_time": answered_time, "order_time": order_t}


def calls_table(calls: pd.DataFrame, order_id: np.ndarray) -> pd.DataFrame:
    """The call log as the phone system keeps it (no caller identity).

    ``order_id`` gives, per call, the order it placed (0 for none).
    """
    placed = order_id > 0
    out = pd.DataFrame({
        "call_id": np.arange(1, len(calls) + 1),
        "arrival_time": to_datetime(day_of(S.MEDIA_START) + calls["arrival"].to_numpy() / 86400),
        "outcome": calls["outcome"].to_numpy(),
        "wait_seconds": calls["wait_seconds"].to_numpy(),
        "handle_seconds": calls["handle_seconds"].to_numpy(),
        "order_placed": placed,
        "order_id": pd.array(order_id, dtype="Int64"),
    })
    out["order_id"] = out["order_id"].where(placed)
    return out
