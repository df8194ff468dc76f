"""Retention (lesson 02), one module per idea.

- :mod:`crmlib.retention.economics`: margin multiples and lifetime value under
  constant retention, value elasticities, the profit of a cohort whose profit
  grows with tenure ("Zero Defections").
- :mod:`crmlib.retention.cohorts`: cohort tables, survival and activity curves
  read off a purchase log; contract durations and their life table.
- :mod:`crmlib.retention.sbg`: the shifted-beta-geometric model of renewals.

Every public name is importable from ``crmlib.retention`` itself, as lessons do;
:func:`~crmlib.uplift.offer_outcomes` (lesson 02's win-back offers, measured
with the campaign windows of :mod:`crmlib.uplift`) lives in :mod:`crmlib.uplift`.
"""

from crmlib.retention.cohorts import (
    activity_curve,
    cohort_table,
    contract_durations,
    renewal_table,
    survival_curve,
)
from crmlib.retention.economics import (
    clv_constant_retention,
    cohort_profit,
    defection_cut_effect,
    margin_multiple,
    margin_multiple_grid,
    value_elasticities,
)
from crmlib.retention.sbg import ShiftedBetaGeometric
from crmlib.uplift import offer_outcomes

__all__ = [
    "ShiftedBetaGeometric",
    "activity_curve",
    "clv_constant_retention",
    "cohort_profit",
    "cohort_table",
    "contract_durations",
    "defection_cut_effect",
    "margin_multiple",
    "margin_multiple_grid",
    "offer_outcomes",
    "renewal_table",
    "survival_curve",
    "value_elasticities",
]
