"""crmlib: the helper package of the Customer Relationship Marketing course.

One module per idea:

- :mod:`crmlib.data`: load and check the Harbor Coffee and CDNOW data.
- :mod:`crmlib.simulate`: generate Harbor Coffee from its true parameters.
- :mod:`crmlib.contact`: exposures, contact economics, awareness, call centre.
- :mod:`crmlib.retention`: margin multiples, cohorts, survival, the sBG model.
- :mod:`crmlib.segment`: behavioural segments, the bases, the loyalty ladder.
- :mod:`crmlib.rfm`: RFM scores and cells, breakeven, BTYD summaries.
- :mod:`crmlib.clv`: BG/NBD, Gamma-Gamma and discounted customer lifetime value.
- :mod:`crmlib.recommend`: item-to-item recommendations and their hit rate.
- :mod:`crmlib.style`: the course's figure style.
- :mod:`crmlib.cli`: the ``crm`` command.
"""

__version__ = "0.1.0"
