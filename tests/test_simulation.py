"""How the Harbor Coffee simulation is built: streams, truth, variants, documentation.

The lesson claims the data must carry are in ``test_stories.py``.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from crmlib.data import ANSWER_KEYS, HARBOR
from crmlib.simulate import HarborTruth, rng_for, stream_id, true_parameters
from crmlib.simulate.buying import goal_multipliers
from crmlib.simulate.campaigns import true_offer_effect

SIM = Path(__file__).resolve().parent.parent / "crmlib" / "simulate"


def _stream_names() -> set[str]:
    """Every literal stream name passed to rng_for in the simulation's source."""
    names = set()
    for path in SIM.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "rng_for"
                    and len(node.args) == 2 and isinstance(node.args[1], ast.Constant)):
                names.add(node.args[1].value)
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "rng_for"
                    and len(node.args) == 1 and isinstance(node.args[0], ast.Constant)):
                names.add(node.args[0].value)  # the silos' own rng_for(name)
    return names


def test_every_stream_differs():
    names = _stream_names()
    assert len(names) >= 10
    ids = {stream_id(n) for n in names}
    assert len(ids) == len(names)
    # Names sharing their first 8 bytes and length (the old seeding) now differ.
    first = {n: rng_for(None, n).random(4).tobytes() for n in names}
    assert len(set(first.values())) == len(names)
    a, b = rng_for(None, "prospect-links"), rng_for(None, "prospect-names")
    assert not np.array_equal(a.random(8), b.random(8))


def test_variants_change_the_truth_reproducibly():
    base = true_parameters()
    v = true_parameters(5)
    assert v == true_parameters(5) and v != base
    for name in ["r", "alpha", "a", "b", "p", "q", "gamma", "sbg_alpha", "sbg_beta"]:
        assert 0.89 <= v[name] / base[name] <= 1.11
    with pytest.raises(ValueError, match="variant"):
        true_parameters(-1)


def test_truth_is_documented(repo):
    readme = (repo / "datasets" / "README.md").read_text()
    for f in fields(HarborTruth):
        assert f"| `{f.name}` | {getattr(HarborTruth(), f.name)} |" in readme, f.name


def test_data_dictionary_matches_the_schemas(repo):
    readme = (repo / "datasets" / "README.md").read_text()
    sections = [part.split("\n## ")[0] for part in re.split(r"\n### ", readme)]
    for table, schema in HARBOR.items():
        sec = [s for s in sections if s.startswith(f"{table}:")]
        assert len(sec) == 1, f"no section for {table}"
        rows = re.findall(r"^\| (\w+) \| ([\w ,?-]+) \|", sec[0], flags=re.M)
        documented = {name: kind for name, kind in rows if name != "column"}
        assert list(documented) == list(schema.columns), table
        for col, kind in schema.columns.items():
            may_be_empty = "may be empty" in documented[col]
            assert may_be_empty == kind.endswith("?"), f"{table}.{col}"
    for table in ANSWER_KEYS:
        sec = [s for s in sections if s.startswith(f"{table}:")][0]
        assert "ANSWER KEY" in sec.splitlines()[0]


def test_goal_gradient_keeps_the_card_cycle_length():
    g = goal_multipliers(1.4)
    assert g[0] == 1.0  # no card yet: no effect
    assert np.isclose(len(g[1:]) / (1 / g[1:]).sum(), 1.0)
    assert np.isclose(g[5] / g[1], 1.4) and (np.diff(g[1:]) >= 0).all()


def test_offer_effect_peaks_for_lapsing_customers_and_spares_the_gone():
    truth = HarborTruth()
    lapse = np.array([0.2, truth.offer_peak_lapse, 20.0, truth.offer_peak_lapse])
    extra, cut = true_offer_effect(truth, lapse, [True, True, True, False])
    assert extra[1] == pytest.approx(truth.offer_peak_rate)
    assert extra[0] < extra[1] / 3 and extra[2] < extra[1] / 10 and extra[3] == 0
    assert cut[1] == pytest.approx(truth.offer_dropout_cut)


@pytest.mark.slow  # simulates several whole variants
@pytest.mark.parametrize("variant", [0, 93223, 99_999])
def test_any_variant_simulates(variant):
    # 93223 once crashed the phone line (retries added in its last round were not sorted).
    from crmlib.simulate import simulate_harbor

    tables = simulate_harbor(variant)
    assert set(tables) == set(HARBOR)
    p = tables["purchases"]
    assert p["date"].max() <= np.datetime64("2025-12-31") and p["order_id"].is_unique


@pytest.mark.slow  # simulates a variant twice
def test_leaving_out_the_silos_changes_no_other_table():
    # The grader simulates without the silo tables when a workbook does not read them;
    # every other table must be the one the full simulation gives, in its CSV form.
    from crmlib.data import to_csv_text
    from crmlib.schema import SILO_SCHEMAS
    from crmlib.simulate import simulate_harbor

    full = simulate_harbor(4242)
    core = simulate_harbor(4242, silos=False)
    assert set(core) == set(HARBOR) - set(SILO_SCHEMAS)
    for name, table in core.items():
        assert to_csv_text(table, HARBOR[name]) == to_csv_text(full[name], HARBOR[name]), name


@pytest.mark.slow  # simulates two variants and runs every story on each
@pytest.mark.parametrize("variant", [1, 2])
def test_the_stories_hold_on_other_variants(variant, repo):
    """Every check of tests/test_stories.py, on another student's data and truth."""
    env = {**os.environ, "CRM_STORY_VARIANT": str(variant)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
         str(repo / "tests" / "test_stories.py")],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


@pytest.mark.parametrize("variant", [None, 7])
def test_the_recorded_end_state_is_the_datas(variant):
    """remote_state_at_end is the state the simulation left: its customers are the shipped
    remote buyers, and their last purchases the shipped remote orders' (or later, for the
    web orders a subscriber skipped, which the state counts)."""
    import pandas as pd

    from crmlib import data
    from crmlib.data import load_harbor
    from crmlib.simulate.harbor import remote_state_at_end
    from crmlib.simulate.streams import day_of

    state = remote_state_at_end(variant, core=data._variant_core(variant))
    purchases = load_harbor("purchases", variant=variant)
    remote = purchases[purchases["channel"] != "cafe"]
    last = (remote.groupby("customer_id")["date"].max() - pd.Timestamp("2023-01-01")).dt.days
    assert sorted(last.index) == sorted(state.index)
    recorded = np.floor(state["last_day"]).reindex(last.index)
    assert (recorded == last).mean() > 0.95
    # An answered phone order can move to the next day (the line's queue): at most a day.
    assert (recorded >= last - 1).all()
    assert state["last_day"].max() < day_of("2025-12-31") + 1
    # Only customers who have left are not alive, and the dead are many but not most.
    assert 0.1 < 1 - state["alive"].mean() < 0.6
    # The campaigns' answer key saw the same people alive or gone: nobody the key counts
    # alive at a campaign is gone before it, and the state's dead include everyone the
    # key found gone at the last campaign.
    key = load_harbor("campaign_effects", variant=variant)
    last_campaign = key[key["campaign_id"] == key["campaign_id"].max()]
    gone = last_campaign.loc[~last_campaign["alive"], "customer_id"]
    assert not state.loc[gone, "alive"].any()
