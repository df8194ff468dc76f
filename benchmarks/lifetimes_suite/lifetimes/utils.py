"""lifetimes.utils' customer lifetime value, on top of :func:`crmlib.clv.customer_lifetime_value`.

lifetimes counts ``time`` in months and discounts at ``discount_rate`` a month; the
data's time unit is ``freq`` (a month is 30 days, 720 hours, 1 month or 4.345
weeks). Month k's purchases, predicted between ``(k - 1) * factor`` and ``k * factor``
units, are discounted by ``(1 + discount_rate) ** k``. crmlib counts whole periods of
the data's unit: ``horizon = time * factor`` periods in steps of ``factor``, at
``(1 + discount_rate) ** (1 / factor) - 1`` a period, which is the same discounting.
A month that is not a whole number of periods (``freq="W"``) has no counterpart in
crmlib, whose steps are whole periods, and is refused.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib import clv

from . import BetaGeoFitter, NotInCrmlib

__all__ = ["_customer_lifetime_value"]

#: Time units in a month, by lifetimes' ``freq``.
_PER_MONTH = {"W": 4.345, "M": 1.0, "D": 30, "H": 30 * 24}


class _GivenSpend:
    """A spend model whose expected spend per transaction is given, as lifetimes'
    ``_customer_lifetime_value`` takes it (crmlib asks its spend model for it)."""

    @staticmethod
    def expected_spend(frequency, monetary_value):
        return monetary_value


def _crmlib_clv(transaction_prediction_model, spend_model, frequency, recency, T,
                monetary_value, time, discount_rate, freq):
    if not isinstance(transaction_prediction_model, BetaGeoFitter):
        raise NotInCrmlib("crmlib's customer_lifetime_value takes its BG/NBD model "
                          f"(a BetaGeoFitter here), not {type(transaction_prediction_model)}")
    factor = _PER_MONTH[freq]
    if factor != int(factor):
        raise NotInCrmlib(f"freq={freq!r}: a month is {factor} periods; crmlib discounts "
                          "in steps of whole periods of the data's time unit")
    if time != int(time):
        raise NotInCrmlib(f"time={time!r}: crmlib's horizon is a whole number of periods")
    factor = int(factor)
    out = clv.customer_lifetime_value(
        transaction_prediction_model._crm(), spend_model,
        np.asarray(frequency), np.asarray(recency), np.asarray(T), np.asarray(monetary_value),
        horizon=int(time) * factor, discount=(1 + discount_rate) ** (1 / factor) - 1,
        step=factor,
    )
    out = np.asarray(out, dtype="float64")
    return pd.Series(out, index=range(len(out)), name="clv")


def _customer_lifetime_value(transaction_prediction_model, frequency, recency, T,
                             monetary_value, time=12, discount_rate=0.01, freq="D"):
    """Discounted CLV over ``time`` months, given each customer's expected spend per
    transaction (``monetary_value``), as a Series on 0..n-1 like lifetimes'."""
    return _crmlib_clv(transaction_prediction_model, _GivenSpend(), frequency, recency, T,
                       monetary_value, time, discount_rate, freq)
