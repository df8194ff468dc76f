"""Loading speed: crmlib's checked loaders against a bare pandas read.

Run with ``make bench``. Reports seconds and the ratio of crmlib's time to the
reference measured in the same run; nothing here is asserted.
"""

from __future__ import annotations

import statistics
import time

import pandas as pd

from crmlib.data import DATA_DIR, harbor_file, harbor_tables, load_cdnow, load_harbor
from crmlib.simulate import simulate_harbor


def best_of(fn, repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    purchases = harbor_file("purchases")
    rows = [
        (
            "load_harbor('purchases')",
            best_of(lambda: load_harbor("purchases")),
            "pd.read_csv(parse_dates)",
            best_of(lambda: pd.read_csv(purchases, parse_dates=["date"])),
        ),
        (
            "load_cdnow('master')",
            best_of(lambda: load_cdnow("master")),
            "pd.read_csv(sep=whitespace)",
            best_of(lambda: pd.read_csv(DATA_DIR / "cdnow" / "CDNOW_master.txt", sep=r"\s+")),
        ),
        (
            "simulate_harbor()",
            best_of(simulate_harbor, repeat=3),
            "load all 16 tables from CSV",
            best_of(lambda: [load_harbor(t) for t in harbor_tables()], repeat=3),
        ),
    ]
    print(f"{'task':32} {'seconds':>8}  {'reference':32} {'seconds':>8}  {'ratio':>6}")
    for name, t, ref, t_ref in rows:
        print(f"{name:32} {t:8.3f}  {ref:32} {t_ref:8.3f}  {t / t_ref:6.2f}")


if __name__ == "__main__":
    main()
