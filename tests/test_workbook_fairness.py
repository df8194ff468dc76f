"""Fixed answers fair to every student (issue 18, item 4).

Every workbook answer that could depend on the data is computed from the student's
own variant. A few multiple-choice answers are the same option for everyone; each
of them is listed here, either as fixed by definition (a method, a model's logic,
numbers given in the question) with the reason, or with the premise in the
student's data that makes it right. The slow test checks those premises on many
variants (``CRM_FAIRNESS_VARIANTS``, 200 by default), so a fixed answer is fixed by
design and not by the luck of the committed data.
"""

from __future__ import annotations

import importlib.util
import os

import pytest
from support import REPO

from crmlib.exercises import load_key

SOLUTIONS = REPO / "solutions"
WORKBOOKS = sorted(p.name.removesuffix("_key.py") for p in SOLUTIONS.glob("[0-9][0-9]_*_key.py"))

# Fixed by definition: the answer follows from a method or model, or from numbers the
# question itself gives, whatever the student's data say.
BY_DEFINITION = {
    ("01_continuity_of_contact", "q8"): "Erlang C with the numbers in the question (1.1 Erlang)",
    ("02_retention_economics", "q8"): "the sBG model's own logic: heterogeneity sorts leavers "
                                      "out first",
    ("03_segmentation", "q2"): "region enters no rate in the simulation, so its eta squared is "
                               "a random split's",
    ("03_segmentation", "q7"): "only a randomised comparison shows what an e-mail causes",
    ("04_rfm", "q7"): "only a randomised, held-out campaign checks an uplift model",
}
# Fixed, but right only because of something in the student's data: checked below.
BY_PREMISE = {("02_retention_economics", "q4"), ("04_rfm", "q6")}
# 05 q7 was fixed at (c) until this test found a variant (89 of 200) whose customers did
# not beat the forecast; its answer is now computed from the student's own comparison.
# 06 q3 (what a higher match-weight threshold does) and q8 (what the goal gradient shows)
# were fixed by definition; q3 is now the threshold the student's own precision sweep
# gives, and q8's option follows the student's own Q7 ratio ((b), or (e) with no speed-up).


def _module(assignment: str):
    path = next(SOLUTIONS.glob(f"{assignment}*_key.py"))
    spec = importlib.util.spec_from_file_location(f"fair_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fixed_choices() -> set[tuple[str, str]]:
    """Choice questions whose reference does not read the variant at all."""
    found = set()
    for assignment in WORKBOOKS:
        for qid, q in load_key(assignment, [SOLUTIONS]).questions.items():
            code = getattr(q.reference, "__code__", None)
            if q.kind == "choice" and code is not None and not code.co_names and \
                    code.co_argcount == 1 and "variant" not in code.co_names:
                found.add((assignment, qid))
    return found


def test_every_fixed_answer_is_accounted_for():
    fixed = _fixed_choices()
    assert fixed, "the detector finds no fixed answer: it is broken"
    assert fixed == set(BY_DEFINITION) | BY_PREMISE, (
        "a fixed-answer question is neither explained by definition nor checked by its "
        f"premise: {sorted(fixed ^ (set(BY_DEFINITION) | BY_PREMISE))}")
    assert not set(BY_DEFINITION) & BY_PREMISE


# --------------------------------------------------------------------------- premises
def premise_02_q4(keys, variant) -> str:
    """Q2 (2025 one-time share) is far higher than the 2023 cohort's 15%, while Q3 (back
    within 6 months) is close to the 2023 cohort's 77%: the censoring story."""
    k = keys["02_retention_economics"]
    q2, q3 = k.one_time_2025(variant), k.back_within_6_2025(variant)
    ok = q2 > 0.2 and abs(q3 - 0.77) < 0.06
    return "" if ok else f"q2 {q2:.3f} (needs > 0.2), q3 {q3:.3f} (needs 0.77 +/- 0.06)"


def premise_04_q6(keys, variant) -> str:
    """Recent buyers redeem far more often than everyone, yet each redemption brings
    fewer extra orders than on average."""
    k = keys["04_rfm"]
    a = k._outcomes(variant)
    treated = a["group"] == "treatment"
    everyone = a.loc[treated, "responded"].mean()
    means = a.groupby("group")["orders"].mean()
    per_all = (means["treatment"] - means["control"]) / everyone
    recent_rate = k.recent_response(variant)
    per_recent = k.recent_lift(variant) / recent_rate
    ok = recent_rate > 1.5 * everyone and per_recent < per_all
    return "" if ok else (f"recent redeem {recent_rate:.3f} vs {everyone:.3f}; extra orders "
                          f"per redemption {per_recent:.3f} vs {per_all:.3f}")


PREMISES = {("02_retention_economics", "q4"): premise_02_q4, ("04_rfm", "q6"): premise_04_q6}


def scale_04_q9(keys, variant) -> str:
    """Workbook 04's decision challenge is scored against the best possible choice and a
    random one on the student's own data: on every variant a random choice must make money
    (the floor) yet fall well short of the full-points bar, and the manager's rule (the most
    recent buyers) must not beat it, or the scale would be easier for some students."""
    k = keys["04_rfm"]
    truth = k.challenge_truth(variant)
    best = truth.best(k.LETTERS)
    random = truth.baselines[k.RANDOM]
    recent = truth.baselines[f"the {k.LETTERS:,} most recent remote buyers"]
    ok = 0.05 * best < random < 0.3 * best < k.FULL_AT * best and recent < random
    return "" if ok else (f"best {best:.0f}, random {random:.0f}, most recent {recent:.0f}")


# Scales of the questions scored against the truth: checked beside the premises.
SCALES = {("04_rfm", "q9"): scale_04_q9}


def test_every_premise_has_its_check():
    assert set(PREMISES) == BY_PREMISE


def test_the_premises_hold_on_the_committed_data():
    checks = PREMISES | SCALES
    keys = {a: _module(a) for a in {a for a, _ in checks}}
    problems = {q: check(keys, None) for q, check in checks.items()}
    assert not any(problems.values()), problems


@pytest.mark.slow  # simulates CRM_FAIRNESS_VARIANTS variants (200: about 15 minutes)
def test_the_premises_hold_on_every_variant():
    n = int(os.environ.get("CRM_FAIRNESS_VARIANTS", "200"))
    checks = PREMISES | SCALES
    keys = {a: _module(a) for a in {a for a, _ in checks}}
    failures = []
    for variant in range(1, n + 1):  # variant-major: each variant is simulated once
        for question, check in checks.items():
            problem = check(keys, variant)
            if problem:
                failures.append((variant, question, problem))
    assert not failures, f"{len(failures)} premise(s) fail: {failures[:10]}"
