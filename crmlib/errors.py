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
  (:class:`crmlib.data.DatasetError`), a grading input (``GradingError``).

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


#: Modules whose messages for the reader are still plain ``ValueError`` or a
#: ``ValueError`` of their own not yet derived from :class:`CourseError`
#: (``DatasetError``, ``GradingError``, ``ReviewError``, ``KeyError_``, the grader's
#: "needs Linux" and its limits). ``crm`` reports a ``ValueError`` raised by their own
#: code in one line, as it reports a course error; once they raise course errors,
#: this list goes.
NOT_YET_COURSE_ERRORS = ("crmlib.data", "crmlib.exercises", "crmlib.grading")


def is_course_error(err: BaseException) -> bool:
    """Whether ``crm`` reports ``err`` in one line (a course error) rather than as a bug.

    A :class:`CourseError` is; so is a ``ValueError`` defined in, or raised by
    the code of, a module in :data:`NOT_YET_COURSE_ERRORS`. Anything else, a
    ``ValueError`` from inside pandas or numpy included, is a bug.

    Examples
    --------
    >>> is_course_error(ArgumentError("days == 0, must be >= 1."))
    True
    >>> is_course_error(ValueError("raised by no course module"))
    False
    """
    if isinstance(err, CourseError):
        return True
    if not isinstance(err, ValueError):
        return False
    places = [type(err).__module__]  # where its class is defined (DatasetError: crmlib.data)
    tb = err.__traceback__
    if tb is not None:
        while tb.tb_next is not None:  # the frame that raised it
            tb = tb.tb_next
        places.append(tb.tb_frame.f_globals.get("__name__", ""))
    return any(
        place == m or place.startswith(m + ".") for place in places for m in NOT_YET_COURSE_ERRORS
    )
