"""The course's shared look: one matplotlib style and tidy pandas output."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

STYLE = Path(__file__).with_name("crm.mplstyle")


def use_course_style() -> None:
    """Apply the course's matplotlib style and pandas display options.

    Call it once at the top of a notebook. Matplotlib figures get the course
    palette (coffee brown first), titles and light grids; pandas prints at
    most 20 rows and two decimals, so outputs stay short and stable.

    Examples
    --------
    >>> use_course_style()
    >>> plt.rcParams["axes.spines.top"]
    False
    """
    plt.style.use(STYLE)
    pd.set_option("display.max_rows", 20)
    pd.set_option("display.precision", 2)
    pd.set_option("display.width", 100)
