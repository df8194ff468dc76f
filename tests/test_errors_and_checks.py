"""One error family and one rule for argument checks (crmlib.errors, crmlib.checks).

The rule: an argument of the wrong type raises TypeError (a bool or 2.5 for a count
of days, text for a number, a list for a DataFrame); a value the function cannot use
raises ArgumentError, a CourseError and a ValueError. ``crm`` prints a course error
in one line and lets every other exception keep its traceback.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmlib import cli, data
from crmlib.answers import AnswerError
from crmlib.contact import erlang_c, first_year_value
from crmlib.errors import ArgumentError, CourseError, is_course_error
from crmlib.quiz import BankError
from crmlib.retention import activity_curve, offer_outcomes
from crmlib.segment import segmentation_pipeline
from crmlib.uplift import orders_after

ASSIGNED = pd.DataFrame(
    {"customer_id": [1, 2], "assigned_date": pd.to_datetime(["2025-03-01"] * 2)}
)
PURCHASES = pd.DataFrame(
    {
        "customer_id": [1, 1, 2],
        "margin": [5.0, 7.0, 3.0],
        "date": pd.to_datetime(["2025-01-30", "2025-03-10", "2025-02-20"]),
    }
)
SIGNUP = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-01"]), index=[1, 2])

# Every function that takes a number of days, by the same argument name.
DAYS = {
    "offer_outcomes": lambda days: offer_outcomes(ASSIGNED, PURCHASES, days=days),
    "orders_after": lambda days: orders_after(PURCHASES, ASSIGNED, days),
    "first_year_value": lambda days: first_year_value(
        PURCHASES, SIGNUP, end="2025-06-30", days=days
    ),
}


@pytest.mark.parametrize("where", sorted(DAYS))
@pytest.mark.parametrize("days", [True, 2.5, 28.0, "28"])
def test_days_of_the_wrong_type_are_a_type_error_everywhere(where, days):
    """A bool is not a number of days, nor is 2.5: the same TypeError in every function
    (offer_outcomes took True as one day, and 2.5 was a ValueError there and a TypeError
    in first_year_value)."""
    with pytest.raises(TypeError, match=r"days must be a whole number \(an int\), got"):
        DAYS[where](days)


@pytest.mark.parametrize("where", sorted(DAYS))
@pytest.mark.parametrize("days", [0, -3])
def test_days_out_of_range_are_an_argument_error_everywhere(where, days):
    with pytest.raises(ArgumentError, match=rf"days == {days}, must be >= 1\.") as caught:
        DAYS[where](days)
    # Code that catches ValueError (or the course's errors) still catches it.
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, CourseError)


def test_the_rule_holds_for_other_counts_and_numbers():
    with pytest.raises(TypeError, match="agents must be a whole number"):
        erlang_c(1 / 60, 180, 2.5)
    with pytest.raises(TypeError, match="arrival_rate must be a number, got True"):
        erlang_c(True, 180, 5)
    with pytest.raises(TypeError, match="arrival_rate must be a number, got '1'"):
        erlang_c("1", 180, 5)
    with pytest.raises(ArgumentError, match="arrival_rate must be a finite number"):
        erlang_c(float("nan"), 180, 5)
    with pytest.raises(TypeError, match="window must be a whole number"):
        activity_curve(PURCHASES, window=2.5)
    with pytest.raises(TypeError, match="k must be a whole number"):
        segmentation_pipeline(True)
    with pytest.raises(TypeError, match="tx must be a pandas DataFrame, got list"):
        orders_after([], ASSIGNED, 28)
    with pytest.raises(ArgumentError, match="event_date='assigned_date': no such column"):
        orders_after(PURCHASES, ASSIGNED.rename(columns={"assigned_date": "day"}), 28)


def test_the_course_errors_are_one_family():
    for error in (ArgumentError, BankError, AnswerError):
        assert issubclass(error, CourseError) and issubclass(error, ValueError), error
    # DatasetError is defined in crmlib.data, which has not moved onto CourseError yet:
    # crm still counts it as the course's own.
    assert is_course_error(data.DatasetError("x.csv", "bad"))
    assert not is_course_error(ValueError("from somewhere else"))
    assert not is_course_error(KeyError("a bug"))


# --------------------------------------------------------------------------- crm's main
def _verify_raises(monkeypatch, make_error):
    def verify(data_dir=None):
        make_error()

    monkeypatch.setattr(data, "verify_checksums", verify)


def test_crm_reports_a_dataset_error_in_one_line(monkeypatch, capsys):
    _verify_raises(monkeypatch, lambda: data.load_harbor("no_such_table"))
    assert cli.main(["data", "verify"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crm: ") and "no_such_table" in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_crm_reports_a_bad_argument_in_one_line(monkeypatch, capsys):
    _verify_raises(monkeypatch, lambda: offer_outcomes(ASSIGNED, PURCHASES, days=0))
    assert cli.main(["data", "verify"]) == 2
    assert capsys.readouterr().err.strip() == "crm: days == 0, must be >= 1."


@pytest.mark.parametrize(
    "bug",
    [
        lambda: pd.Timestamp("not a date"),  # a ValueError from inside pandas
        lambda: int("x"),  # a ValueError raised by Python itself
        lambda: {}["key"],  # any other exception
    ],
)
def test_crm_lets_a_bug_keep_its_traceback(monkeypatch, bug):
    """crm caught every ValueError, so a bug printed one line and no traceback."""
    _verify_raises(monkeypatch, bug)
    with pytest.raises((ValueError, KeyError)) as caught:
        cli.main(["data", "verify"])
    assert not str(caught.traceback[-1].path).endswith("cli.py")  # it reaches the bug


def test_every_error_written_for_its_reader_is_a_course_error():
    """crm prints these in one line; they stay ValueErrors for code that catches those."""
    from crmlib.data import DatasetError
    from crmlib.errors import CourseError
    from crmlib.exercises import KeyError_
    from crmlib.grading import NeedsLinux
    from crmlib.grading.identity import GradingError
    from crmlib.grading.notebooks import NotebookProblem
    from crmlib.grading.reviews import ReviewError

    for cls in (DatasetError, KeyError_, NeedsLinux, GradingError, NotebookProblem, ReviewError):
        assert issubclass(cls, CourseError) and issubclass(cls, ValueError), cls
