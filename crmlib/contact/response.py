"""Response to repeated contacts and its economics: response by exposure, cost per
contact, lead and sale, the margin of an order and a customer's first-year value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlib.checks import check_count, require_columns, require_series
from crmlib.errors import ArgumentError

__all__ = ["first_year_value", "order_margin", "response_by_exposure", "route_economics"]


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
        raise ArgumentError(f"cost_per_contact={cost_per_contact!r}: negative costs")
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
        {
            "order_id": "order_id",
            "product_id": "product_id",
            "quantity": "quantity",
            "unit_price": "unit_price",
        },
        "order_items",
    )
    require_columns(products, {"product_id": "product_id", "unit_cost": "unit_cost"}, "products")
    cost = products.set_index("product_id")["unit_cost"]
    unknown = ~order_items["product_id"].isin(cost.index)
    if unknown.any():
        raise ArgumentError(
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
    require_series(signup, "signup", "sign-up dates indexed by customer id")
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
