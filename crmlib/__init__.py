"""crmlib: the helper package of the Customer Relationship Marketing course.

One module per idea:

- :mod:`crmlib.schema`: every table's columns, kinds and key.
- :mod:`crmlib.data`: load, check, build and verify the Harbor Coffee and CDNOW data.
- :mod:`crmlib.truth`: the truth behind the simulated data, to check estimates against.
- :mod:`crmlib.simulate`: generate Harbor Coffee from its true parameters
  (its settings in :mod:`crmlib.simulate.settings`, one module per story).
- :mod:`crmlib.contact`: exposures, contact economics, awareness, call centre.
- :mod:`crmlib.retention`: margin multiples, cohorts, survival, the sBG model.
- :mod:`crmlib.segment`: behavioural segments, the bases, the loyalty ladder.
- :mod:`crmlib.rfm`: RFM scores and cells, breakeven, BTYD summaries.
- :mod:`crmlib.clv`: BG/NBD, Gamma-Gamma and discounted customer lifetime value.
- :mod:`crmlib.recommend`: item-to-item recommendations and their hit rate.
- :mod:`crmlib.uplift`, :mod:`crmlib.scv`: uplift models; the single customer view.
- :mod:`crmlib.quiz`, :mod:`crmlib.exercises`: quizzes and flashcards; the workbooks.
- :mod:`crmlib.grading`: the batch grader (an optional extra).
- :mod:`crmlib.style`: the course's figure style.
- :mod:`crmlib.cli`: the ``crm`` command.
"""

__version__ = "0.1.0"
