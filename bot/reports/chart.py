"""The digest's trend picture: on-time % per contract over the last weeks, as a PNG.

matplotlib with the Agg backend (no display, no GUI toolkit); imported on first use so the
bot's start-up does not pay for it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date


def on_time_chart(
    weeks: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    title: str,
    fmt: str = "png",
) -> bytes:
    """A line per contract (a gap where a week had no expected period), 0–100 %."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 3.2), dpi=100)
    axes = figure.subplots()
    labels = [week.strftime("%d %b") for week in weeks]
    for name, values in sorted(series.items()):
        axes.plot(labels, [float("nan") if v is None else v for v in values], marker="o",
                  label=name)
    axes.set_ylim(0, 105)
    axes.set_ylabel("on time %")
    axes.set_title(title)
    axes.grid(alpha=0.3)
    if series:
        axes.legend(fontsize="small", loc="lower left")
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format=fmt)
    return out.getvalue()
