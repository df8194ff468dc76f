"""Simulate the Harbor Coffee Co. data from documented true parameters.

Every table of the course's fictional coffee roaster is drawn here from fixed
seeds, so ``crm data build`` rewrites the committed CSV files byte for byte and
``variant=<int>`` gives each student a reproducible twin of the data set with
the same story and schema but different numbers.

The parts, each drawing from its own named random stream:

* :mod:`~crmlib.simulate.settings`: the true parameters (:class:`HarborTruth`)
  and every other setting of the story (the silos' ``SILO_SETTINGS`` too), in
  one place;
* :mod:`~crmlib.simulate.people`: suspects, prospects, acquisition campaigns,
  customers' profiles and latent traits, names (census and SSA frequency lists
  in ``names/``), households, e-mail addresses and phone numbers;
* :mod:`~crmlib.simulate.buying`: remote (web and phone) orders, exactly BG/NBD,
  with season, the Thanksgiving-to-Christmas peak, retention offers, the media
  push and service tickets;
* :mod:`~crmlib.simulate.cafes`: cafe visits, a process of their own (habitual
  regulars on favourite weekdays beside occasional visitors, stores, opening
  hours, holidays, the loyalty card's goal gradient);
* :mod:`~crmlib.simulate.campaigns`: retention campaigns with random control
  groups and their true effect;
* :mod:`~crmlib.simulate.baskets`: products, prices, baskets and discounts;
* :mod:`~crmlib.simulate.media`: the autumn 2025 media push and the phone line;
* :mod:`~crmlib.simulate.subscriptions`: the monthly bean subscription (sBG);
* :mod:`~crmlib.simulate.silos`: the separate systems lesson 06 joins;
* :mod:`~crmlib.simulate.timing`: right-skewed delays and the working-day calendar;
* :mod:`~crmlib.simulate.compliance`: erasure requests, honoured by the campaign
  lists, and the answer key of the few contacts that broke them;
* :mod:`~crmlib.simulate.email_events`: what happened to every marketing e-mail;
* :mod:`~crmlib.simulate.spend`: marketing spend by month and channel;
* :mod:`~crmlib.simulate.harbor`: :func:`simulate_harbor`, which orchestrates.

Tables are written in the column order of :mod:`crmlib.schema`. Lessons, workbook
keys and story tests read the truth through :mod:`crmlib.truth`, not from here.
"""

from importlib import import_module

# Names are loaded on first use, so importing one part (for example the settings,
# which crmlib.truth needs) does not pull in the whole simulation.
_WHERE = {
    "simulate_harbor": "harbor", "true_parameters": "harbor", "truth_of": "harbor",
    "NICKNAMES": "silos",
    "HarborTruth": "settings", "rng_for": "streams", "stream_id": "streams",
    "variant_key": "streams",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"crmlib.simulate.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'crmlib.simulate' has no attribute {name!r}")
