"""Continuity of contact (lesson 01), one module per idea.

- :mod:`crmlib.contact.response`: response to repeated exposures, cost per
  contact, lead and sale, the margin of an order, a customer's first-year value.
- :mod:`crmlib.contact.awareness`: the advertising stock, the awareness curve
  and :class:`~crmlib.contact.awareness.AwarenessModel` fitted to survey counts.
- :mod:`crmlib.contact.call_centre`: Erlang C, a simulated queue with callers
  who hang up, the calls after a TV spot, replays of a call log.

Every public name is importable from ``crmlib.contact`` itself, as lessons do.
"""

from crmlib.contact.awareness import AwarenessModel, adstock, awareness_curve
from crmlib.contact.call_centre import (
    calls_after_spots,
    erlang_c,
    erlang_c_wait,
    estimate_patience,
    replay_calls,
    retime_spot_calls,
    simulate_call_centre,
    simulate_queue,
)
from crmlib.contact.response import (
    first_year_value,
    order_margin,
    response_by_exposure,
    route_economics,
)

__all__ = [
    "AwarenessModel",
    "adstock",
    "awareness_curve",
    "calls_after_spots",
    "erlang_c",
    "erlang_c_wait",
    "estimate_patience",
    "first_year_value",
    "order_margin",
    "replay_calls",
    "response_by_exposure",
    "retime_spot_calls",
    "route_economics",
    "simulate_call_centre",
    "simulate_queue",
]
