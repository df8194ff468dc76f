"""crmlib's models and summaries against the lifetimes package, measured in the same run.

Run with ``make bench`` (it builds ``.venv-bench`` with crmlib and lifetimes;
the course itself never depends on lifetimes). Prints a table of seconds,
ratios (reference time / crmlib time, so 5.0 means crmlib is five times
faster) and the agreement of the results; asserts nothing.

Usage: python benchmarks/bench_models.py [--scale-customers N] [--skip-scale]
       [--skip-load] [--load-workers N]

The load run repeats the BG/NBD comparison while this script keeps the machine
busy with its own worker processes (half multi-threaded BLAS products, half
pure-Python loops, as on a shared JupyterHub with installs, tests and kernels
running), once with crmlib's fits on one BLAS thread (the default) and once
with the BLAS library's own thread count.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

import crmlib.fitting
from crmlib.clv import BetaGeo, GammaGamma
from crmlib.data import load_cdnow
from crmlib.rfm import btyd_summary


def timed(fn, repeat: int = 5):
    """Median wall time of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def bench_against_lifetimes(rows: list[dict]) -> None:
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    sample = btyd_summary(load_cdnow("sample"), "1997-09-30")
    f, r, T = sample["frequency"], sample["recency"], sample["T"]

    t_ours, ours = timed(lambda: BetaGeo().fit(f, r, T))
    t_ref, ref = timed(lambda: BetaGeoFitter(penalizer_coef=0.0).fit(f, r, T), repeat=3)
    ref_params = ref.params_
    ref_model = BetaGeo()
    ref_model.params_ = {k: float(ref_params[k]) for k in ("r", "alpha", "a", "b")}
    ref_ll = float(ref_model.loglik(f, r, T).sum())
    rows.append(
        {
            "task": "BG/NBD fit, CDNOW sample (2,357)",
            "crmlib_s": t_ours,
            "reference": "lifetimes BetaGeoFitter",
            "reference_s": t_ref,
            "agreement": f"LL {ours.loglik_:.3f} vs {ref_ll:.3f} "
            f"(diff {abs(ours.loglik_ - ref_ll):.4f})",
        }
    )

    rep = sample[sample["frequency"] > 0]
    t_ours, ours = timed(lambda: GammaGamma().fit(rep["frequency"], rep["monetary_value"]))
    t_ref, ref = timed(
        lambda: GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"]),
        repeat=3,
    )
    ref_p = {k: float(ref.params_[k]) for k in ("p", "q", "v")}
    rows.append(
        {
            "task": "Gamma-Gamma fit, CDNOW repeat buyers (946)",
            "crmlib_s": t_ours,
            "reference": "lifetimes GammaGammaFitter",
            "reference_s": t_ref,
            "agreement": "p, q, gamma {:.3f} {:.3f} {:.3f} vs {:.3f} {:.3f} {:.3f}".format(
                *ours.params_.values(), *ref_p.values()
            ),
        }
    )

    master = load_cdnow("master")
    t_ours, ours = timed(lambda: btyd_summary(master, "1998-06-30"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_ref, ref = timed(
            lambda: summary_data_from_transaction_data(
                master,
                "customer_id",
                "date",
                monetary_value_col="amount",
                observation_period_end="1998-06-30",
                freq="D",
                freq_multiplier=7,
            ),
            repeat=3,
        )
    ref = ref.reindex(ours.index)
    worst = max(
        float(np.max(np.abs(ours[c].to_numpy() - ref[c].to_numpy())))
        for c in ("frequency", "recency", "T", "monetary_value")
    )
    rows.append(
        {
            "task": "btyd_summary, CDNOW master (69,659 rows)",
            "crmlib_s": t_ours,
            "reference": "lifetimes summary_data_from_...",
            "reference_s": t_ref,
            "agreement": f"max abs difference {worst:.2e} over 4 columns",
        }
    )


# Busy work for the load run: BLAS products on two threads, or a pure-Python loop.
_BLAS_WORK = (
    "import os; os.environ['OPENBLAS_NUM_THREADS'] = '2'\n"
    "import numpy as np\n"
    "a = np.random.default_rng(0).random((600, 600))\n"
    "while True: a = np.tanh(a @ a / 600)\n"
)
_PYTHON_WORK = "x = 0\nwhile True: x = (x * 31 + 7) % 1000003\n"


def start_load(workers: int) -> list[subprocess.Popen]:
    """Start ``workers`` busy processes (alternately BLAS and pure Python)."""
    procs = []
    for i in range(workers):
        code = _BLAS_WORK if i % 2 == 0 else _PYTHON_WORK
        procs.append(subprocess.Popen([sys.executable, "-c", code], start_new_session=True))
    time.sleep(2.0)  # let them get going
    return procs


def stop_load(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def bench_under_load(rows: list[dict], workers: int) -> None:
    """BG/NBD fit against lifetimes with the machine busy, one BLAS thread or the default."""
    from lifetimes import BetaGeoFitter

    sample = btyd_summary(load_cdnow("sample"), "1997-09-30")
    f, r, T = sample["frequency"], sample["recency"], sample["T"]
    load = start_load(workers)
    try:
        for threads, label in (
            (1, "one BLAS thread (default)"),
            (None, "BLAS library's own threads"),
        ):
            crmlib.fitting.BLAS_THREADS = threads
            t_ours, _ = timed(lambda: BetaGeo().fit(f, r, T), repeat=15)
            t_ref, _ = timed(lambda: BetaGeoFitter(penalizer_coef=0.0).fit(f, r, T), repeat=7)
            rows.append(
                {
                    "task": f"BG/NBD fit under load, {label}",
                    "crmlib_s": t_ours,
                    "reference": "lifetimes BetaGeoFitter",
                    "reference_s": t_ref,
                    "agreement": f"{workers} busy processes on {os.cpu_count()} cores",
                }
            )
    finally:
        crmlib.fitting.BLAS_THREADS = 1
        stop_load(load)


def simulate_log(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """A BG/NBD purchase log of ``n_customers`` over two years (vectorised)."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 1.2, 5.4, 0.6, 5.0  # about 10 purchases per customer
    birth = rng.integers(0, 182, n_customers)  # first purchase in the first half year
    weeks = (730 - birth) / 7.0
    lam = rng.gamma(r, 1 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    arrivals = rng.poisson(lam * weeks)
    keep_n = np.minimum(arrivals, rng.geometric(p))  # repeat purchases before dropping out
    owner = np.repeat(np.arange(n_customers), arrivals)
    u = rng.random(len(owner)) * weeks[owner]
    order = np.lexsort((u, owner))
    owner, u = owner[order], u[order]
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < keep_n[owner]  # the first keep_n arrivals of each customer
    owner = owner[keep]
    day = birth[owner] + np.floor(u[keep] * 7).astype(np.int64)
    owner = np.concatenate([np.arange(n_customers), owner])
    day = np.concatenate([birth, day])
    start = np.datetime64("2024-01-01")
    return pd.DataFrame(
        {
            "customer_id": owner,
            "date": start + day.astype("timedelta64[D]"),
            "amount": np.round(rng.gamma(6.0, 2.0, len(owner)), 2),
        }
    )


def bench_scale(rows: list[dict], n_customers: int) -> None:
    tx = simulate_log(n_customers)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    summary = btyd_summary(tx, "2025-12-30", merge_same_day=False)
    t_summary = time.perf_counter() - start
    model = BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    t_total = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    rows.append(
        {
            "task": f"scale: {len(tx):,} transactions / {n_customers:,} customers",
            "crmlib_s": t_total,
            "reference": "(none: seconds and memory)",
            "reference_s": float("nan"),
            "agreement": f"summary {t_summary:.1f} s + fit {t_total - t_summary:.1f} s; "
            f"peak traced {peak / 2**30:.2f} GB, max RSS {rss / 1024:.2f} GB; "
            f"r={model.params_['r']:.3f} (true 1.2)",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale-customers", type=int, default=1_000_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--load-workers", type=int, default=4)
    args = parser.parse_args()
    rows: list[dict] = []
    bench_against_lifetimes(rows)
    if not args.skip_load:
        bench_under_load(rows, args.load_workers)
    if not args.skip_scale:
        bench_scale(rows, args.scale_customers)
    table = pd.DataFrame(rows)
    table["ratio"] = table["reference_s"] / table["crmlib_s"]
    with pd.option_context("display.max_colwidth", 80, "display.width", 250):
        print(
            table[["task", "crmlib_s", "reference", "reference_s", "ratio", "agreement"]].to_string(
                index=False, float_format=lambda v: f"{v:.3f}"
            )
        )


if __name__ == "__main__":
    main()
