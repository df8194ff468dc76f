"""crmlib: the helper package of the Customer Relationship Marketing course.

One module per idea: :mod:`crmlib.data` loads the Harbor Coffee and CDNOW
data, :mod:`crmlib.simulate` generates Harbor Coffee, :mod:`crmlib.style`
gives every notebook the same look, and :mod:`crmlib.cli` is the ``crm``
command.
"""

__version__ = "0.1.0"
