"""crmlib: the helper package of the Customer Relationship Marketing course.

One module per idea (a subpackage when an idea has parts):

- :mod:`crmlib.errors`: the course's own errors (:class:`~crmlib.errors.CourseError`).
- :mod:`crmlib.checks`: argument checks, with one rule for which exception means what.
- :mod:`crmlib.atomic`: atomic file writes.
- :mod:`crmlib.answers`: reading typed answers, for quizzes and workbooks alike.
- :mod:`crmlib.fitting`: what the model fits share (bounded search, warnings, standard errors).
- :mod:`crmlib.schema`: every table's columns, kinds and key.
- :mod:`crmlib.simulate`: generate Harbor Coffee from its true parameters
  (its settings in :mod:`crmlib.simulate.settings`, one module per story).
- :mod:`crmlib.truth`: the truth behind the simulated data, to check estimates against.
- :mod:`crmlib.data`: load, check, build and verify the Harbor Coffee and CDNOW data.
- :mod:`crmlib.contact`: response and contact economics (:mod:`~crmlib.contact.response`),
  awareness (:mod:`~crmlib.contact.awareness`), the call centre
  (:mod:`~crmlib.contact.call_centre`).
- :mod:`crmlib.retention`: retention economics (:mod:`~crmlib.retention.economics`),
  cohorts and survival (:mod:`~crmlib.retention.cohorts`), the sBG model
  (:mod:`~crmlib.retention.sbg`).
- :mod:`crmlib.segment`: behavioural segments, the bases, the loyalty ladder.
- :mod:`crmlib.rfm`: RFM scores and cells, breakeven, BTYD summaries.
- :mod:`crmlib.uplift`: campaign windows, lift against a control group, uplift models.
- :mod:`crmlib.clv`: BG/NBD, Gamma-Gamma and discounted customer lifetime value.
- :mod:`crmlib.scv`: the single customer view (record matching, SQLite).
- :mod:`crmlib.recommend`: item-to-item recommendations and their hit rate.
- :mod:`crmlib.quiz`, :mod:`crmlib.exercises`: quizzes and flashcards; the workbooks.
- :mod:`crmlib.grading`: the batch grader (an optional extra).
- :mod:`crmlib.style`: the course's figure style.
- :mod:`crmlib.cli`: the ``crm`` command.
"""

__version__ = "0.1.0"

import os as _os

if "CRM_SEALED" in _os.environ:  # a graded kernel of a challenge workbook
    from crmlib.grading.seal import apply_seal

    apply_seal()
