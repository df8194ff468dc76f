"""The course's own errors: one family, so that ``crm`` can tell a message from a bug.

Every error the course raises on purpose, with a message written for its reader
(a bad data file, a bad question bank, an argument a function cannot use), is a
:class:`CourseError`. ``crm`` prints a course error in one line and exits with
status 2; any other exception is a bug and keeps its traceback.

Which exception means what (the rule :mod:`crmlib.checks` applies):

- ``TypeError``: an argument of the wrong type: text where a number is
  expected, ``True`` for a number or a count (a bool is not a number of days),
  ``2.5`` for a whole number, a list where a DataFrame is expected.
- :class:`ArgumentError`: an argument of the right type whose value the
  function cannot use: out of range, NaN, a missing column, no rows, lengths
  that do not match. It is also a ``ValueError``.
- the domain errors, each a ``ValueError`` too: a question bank that breaks
  the schema (:class:`crmlib.quiz.BankError`), an answer that cannot be read
  (:class:`crmlib.answers.AnswerError`), a data file that breaks its schema
  (:class:`crmlib.data.DatasetError`), a grading input or review sheet
  (``GradingError``, ``ReviewError``), a workbook key (``KeyError_``).

Examples
--------
>>> from crmlib.checks import check_count
>>> try:
...     check_count(0, "days")
... except CourseError as err:
...     print(type(err).__name__, err)
ArgumentError days == 0, must be >= 1.
"""

from __future__ import annotations

__all__ = ["ArgumentError", "CourseError", "is_course_error"]


class CourseError(Exception):
    """Base of every error the course raises on purpose; its message is for the reader."""


class ArgumentError(CourseError, ValueError):
    """An argument of the right type whose value the function cannot use."""


def is_course_error(err: BaseException) -> bool:
    """Whether ``crm`` reports ``err`` in one line (a course error) rather than as a bug.

    Only a :class:`CourseError` is; anything else, a ``ValueError`` from inside
    pandas or numpy included, is a bug and keeps its traceback.

    Examples
    --------
    >>> is_course_error(ArgumentError("days == 0, must be >= 1."))
    True
    >>> is_course_error(ValueError("raised by no course module"))
    False
    """
    return isinstance(err, CourseError)
