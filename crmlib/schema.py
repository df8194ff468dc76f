"""Every table's columns, kinds and key: the one layer the loader and the simulator share.

:mod:`crmlib.data` checks the committed files (and every simulated variant)
against these schemas; :mod:`crmlib.simulate` writes its tables in their column
order. Nothing here imports either of them, so both can import this module.

* :data:`HARBOR`: the Harbor Coffee tables, in the order of the data
  dictionary (``datasets/README.md``, which a test compares with them);
* :data:`SILO_SCHEMAS`: the part of :data:`HARBOR` that holds lesson 06's
  separate customer systems and their answer key;
* :data:`ANSWER_KEYS`: the tables that score a method and are never its input;
* :data:`CDNOW` and :data:`CDNOW_RAW_COLUMNS`: the real CDNOW purchase log.
"""

from __future__ import annotations

from dataclasses import dataclass

from crmlib.errors import ArgumentError

KINDS = ("int", "float", "str", "bool", "date", "datetime")


@dataclass(frozen=True)
class Schema:
    """Column kinds of a table, its key and how it sits on disk.

    Kinds are ``int``, ``float``, ``str``, ``bool``, ``date`` and
    ``datetime``; a trailing ``?`` allows empty cells. Numbers may not be
    negative in any table of the course.

    Attributes
    ----------
    columns : dict of str to str
        Column name to kind, in the order of the file.
    key : tuple of str
        The columns that identify a row (empty: no key).

    Examples
    --------
    >>> s = Schema({"order_id": "int", "note": "str?"}, ("order_id",))
    >>> list(s.columns), s.key, s.nullable("note")
    (['order_id', 'note'], ('order_id',), True)
    """

    columns: dict[str, str]
    key: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for col, kind in self.columns.items():
            if kind.rstrip("?") not in KINDS or kind.count("?") > 1:
                raise ArgumentError(f"column {col!r}: unknown kind {kind!r}; use one of {KINDS}, "
                                 "with a trailing '?' when a cell may be empty")
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            raise ArgumentError(f"key column(s) {missing} are not among the columns")

    def nullable(self, column: str) -> bool:
        """Whether ``column`` may hold empty cells (its kind ends in ``?``)."""
        return self.columns[column].endswith("?")


# --------------------------------------------------------------------------- Harbor Coffee
CORE_SCHEMAS: dict[str, Schema] = {
    "customers": Schema(
        {"customer_id": "int", "first_name": "str", "last_name": "str", "email": "str",
         "phone": "str", "signup_date": "date", "acquisition_channel": "str", "region": "str",
         "age": "int", "income": "float", "household_size": "int", "lifestyle": "str",
         "benefit_sought": "str", "home_store_id": "int?"}, ("customer_id",)),
    "products": Schema({"product_id": "int", "name": "str", "category": "str",
                        "price": "float", "unit_cost": "float", "durable": "bool"},
                       ("product_id",)),
    "purchases": Schema(
        {"order_id": "int", "customer_id": "int", "date": "date", "channel": "str",
         "store_id": "int?", "hour": "int", "quantity": "int", "discount": "float",
         "shipping": "float", "amount": "float"}, ("order_id",)),
    "order_items": Schema({"order_id": "int", "product_id": "int", "quantity": "int",
                           "unit_price": "float"}, ("order_id", "product_id")),
    "subscriptions": Schema(
        {"subscription_id": "int", "customer_id": "int", "start_date": "date",
         "end_date": "date?", "plan": "str", "monthly_price": "float"}, ("subscription_id",)),
    "suspects": Schema(
        {"suspect_id": "int", "first_name": "str", "last_name": "str", "email": "str",
         "region": "str", "added_date": "date"}, ("suspect_id",)),
    "prospects": Schema(
        {"prospect_id": "int", "first_name": "str", "last_name": "str", "email": "str",
         "first_seen": "date", "source": "str", "interest": "str", "region": "str",
         "suspect_id": "int?", "customer_id": "int?"}, ("prospect_id",)),
    "referrals": Schema({"referral_id": "int", "referrer_id": "int", "referred_id": "int",
                         "date": "date"}, ("referral_id",)),
    "campaigns": Schema(
        {"campaign_id": "int", "name": "str", "audience": "str", "channel": "str",
         "start_date": "date", "waves": "int", "cost_per_contact": "float", "offer": "str"},
        ("campaign_id",)),
    "campaign_assignments": Schema(
        {"campaign_id": "int", "customer_id": "int", "group": "str", "assigned_date": "date"},
        ("campaign_id", "customer_id")),
    "campaign_effects": Schema(
        {"campaign_id": "int", "customer_id": "int", "alive": "bool",
         "expected_missed": "float", "true_extra_rate": "float", "true_extra_orders": "float",
         "true_dropout_cut": "float"}, ("campaign_id", "customer_id")),
    "contacts": Schema(
        {"contact_id": "int", "campaign_id": "int", "customer_id": "int?",
         "prospect_id": "int?", "suspect_id": "int?", "contact_date": "date",
         "exposure": "int", "responded": "bool", "sale": "bool", "response_date": "date?"},
        ("contact_id",)),
    "media_plan": Schema({"week_start": "date", "medium": "str", "grps": "float",
                          "spend": "float"}, ("week_start", "medium")),
    "awareness": Schema({"week_start": "date", "sample_size": "int", "aware": "int",
                         "aware_share": "float"}, ("week_start",)),
    "tv_spots": Schema({"spot_id": "int", "air_time": "datetime", "region": "str",
                        "grp": "float", "cost": "float"}, ("spot_id",)),
    "call_staffing": Schema({"date": "date", "hour": "int", "agents": "int"},
                            ("date", "hour")),
    "calls": Schema(
        {"call_id": "int", "arrival_time": "datetime", "outcome": "str", "wait_seconds": "int",
         "handle_seconds": "int", "order_placed": "bool", "order_id": "int?"}, ("call_id",)),
    "email_events": Schema(
        {"event_id": "int", "contact_id": "int", "campaign_id": "int", "event": "str",
         "event_time": "datetime"}, ("event_id",)),
    "marketing_spend": Schema(
        {"month": "date", "category": "str", "channel": "str", "item": "str",
         "spend": "float"}, ("month", "category", "channel", "item")),
    "compliance_breaches": Schema(
        {"contact_id": "int", "customer_id": "int", "request_date": "date",
         "contact_date": "date", "reason": "str"}, ("contact_id",)),
}
"""The tables of the core simulation (everything but lesson 06's silos)."""

SILO_SCHEMAS: dict[str, Schema] = {
    "web_accounts": Schema(
        {"account_id": "int", "email": "str", "first_name": "str", "last_name": "str",
         "phone": "str?", "address": "str", "postcode": "str?", "created_date": "date",
         "opt_in": "bool"}, ("account_id",)),
    "loyalty_cards": Schema(
        {"card_number": "str", "name": "str", "email": "str?", "phone": "str?",
         "issued_date": "date", "opt_in": "bool"}, ("card_number",)),
    "phone_customers": Schema(
        {"phone_customer_id": "str", "first_name": "str", "last_name": "str", "phone": "str",
         "address": "str?", "postcode": "str?", "email": "str?", "created_date": "date"},
        ("phone_customer_id",)),
    "service_tickets": Schema(
        {"ticket_id": "int", "opened_date": "date", "channel": "str", "order_id": "int?",
         "topic": "str",
         "resolved_date": "date?", "satisfaction": "int?", "first_name": "str?",
         "last_name": "str?", "email": "str?", "phone": "str?"}, ("ticket_id",)),
    "coupons": Schema(
        {"coupon_code": "str", "card_number": "str?", "email": "str?", "issued_date": "date",
         "expiry_date": "date", "redeemed_date": "date?", "value": "float"}, ("coupon_code",)),
    "marketing_list": Schema(
        {"list_id": "int", "email": "str", "first_name": "str", "last_name": "str",
         "region": "str?", "source": "str", "added_date": "date", "opt_in": "bool"},
        ("list_id",)),
    "erasure_requests": Schema(
        {"request_id": "int", "received_date": "date", "email": "str", "first_name": "str",
         "last_name": "str"}, ("request_id",)),
    "silo_links": Schema(
        {"source": "str", "record_id": "str", "customer_id": "int"}, ("source", "record_id")),
}
"""Lesson 06's separate customer systems (:mod:`crmlib.simulate.silos`) and their answer key."""

HARBOR: dict[str, Schema] = {**CORE_SCHEMAS, **SILO_SCHEMAS}
"""Every Harbor Coffee table, in the order of the data dictionary."""

ANSWER_KEYS: tuple[str, ...] = ("campaign_effects", "silo_links", "compliance_breaches")
"""Tables that score a method and are never its input (see ``datasets/README.md``)."""

# --------------------------------------------------------------------------- CDNOW
CDNOW: Schema = Schema({"customer_id": "int", "date": "date", "quantity": "int",
                        "amount": "float"})
"""The CDNOW purchase log as loaded (one row per line of the original file)."""

CDNOW_RAW_COLUMNS: dict[str, list[str]] = {
    "sample": ["original_id", "customer_id", "date", "quantity", "amount"],
    "master": ["customer_id", "date", "quantity", "amount"],
}
"""The whitespace-separated fields of the two CDNOW files, which have no header."""
