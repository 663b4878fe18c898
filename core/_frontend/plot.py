"""Quick-look plots of loaded results (needs matplotlib: ``pip install "neurofiles[plot]"``).

* Events with pixel coordinates (or raw addresses of a known camera, which are
  decoded first): an x x y image of event counts.
* Other events: a raster, time on x, address on y.
* Traces: one panel per channel, every sweep overlaid, units on the axes.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no GUI), so
plotting works headless and never changes the caller's backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._framework.specs import import_object

__all__ = ["guess_layout", "plot"]

INSTALL_HINT = 'pip install "neurofiles[plot]"'
MAX_RASTER_POINTS = 200_000
MAX_LINE_POINTS = 100_000
MAX_PANELS = 8
_CHIPS = (
    ("dvs128", "dvs128"),
    ("tmpdiff128", "dvs128"),
    ("davis346", "davis346"),
    ("davis240", "davis240"),
    ("davis640", "davis640"),
    ("davis128", "davis128"),
)


def _figure_class() -> Any:
    return import_object("matplotlib.figure:Figure", needed_for="plotting", install_hint=INSTALL_HINT)


def guess_layout(metadata: dict[str, Any]) -> str | None:
    """The address layout named by the file's chip (``AEChip`` header), if known."""
    decoded = metadata.get("decode")
    if isinstance(decoded, dict) and decoded.get("layout"):
        return str(decoded["layout"])
    chip = str(metadata.get("chip") or "").lower().replace("-", "").replace("_", "")
    for needle, layout in _CHIPS:
        if needle in chip:
            return layout
    return None


def plot(data: Any, *, kind: str = "auto", layout: str | None = None, title: str | None = None) -> Any:
    """Draw ``data`` (Events or Traces) and return a ``matplotlib.figure.Figure``.

    Parameters
    ----------
    kind
        ``"auto"``, ``"image"`` (x x y event counts), ``"raster"`` (time x address)
        or ``"traces"``.
    layout
        Decode raw AER addresses with this sensor layout (default: from the chip
        named in the header, if any).
    title
        Figure title.

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed.
    """
    from .._results.tabular import kind_of

    Figure = _figure_class()
    what = kind_of(data)
    if what == "Traces":
        if kind not in ("auto", "traces"):
            raise ValueError(f"kind={kind!r} does not apply to Traces; use 'traces'")
        return _plot_traces(Figure, data, title)
    if kind == "traces":
        raise ValueError("kind='traces' applies to Traces, not Events")
    return _plot_events(Figure, data, kind, layout, title)


# -- events --------------------------------------------------------------------------------------
def _decoded(events: Any, layout: str | None) -> Any:
    if events.x is not None and events.y is not None:
        return events
    layout = layout or guess_layout(events.metadata)
    if layout is None or events.addresses is None:
        return events
    return events.decode(layout)


def _plot_events(Figure: Any, events: Any, kind: str, layout: str | None, title: str | None) -> Any:
    if kind in ("auto", "image"):
        events = _decoded(events, layout)
    has_xy = events.x is not None and events.y is not None
    if kind == "image" and not has_xy:
        raise ValueError(
            "these events have no x/y coordinates; pass layout= (dvs128, davis346...) or use a raster"
        )
    figure = Figure(figsize=(7.5, 5.5), layout="constrained")
    if has_xy and kind != "raster":
        _event_image(figure, events)
    else:
        _event_raster(figure, events)
    n = len(events)
    figure.suptitle(f"{title + ': ' if title else ''}{n} events, {events.duration:.3g} s")
    return figure


def _sensor_size(events: Any) -> tuple[int, int]:
    size = events.metadata.get("sensor_size")
    width = int(events.x.max()) + 1 if len(events) else 1
    height = int(events.y.max()) + 1 if len(events) else 1
    if isinstance(size, (list, tuple)) and len(size) == 2:
        width, height = max(width, int(size[0])), max(height, int(size[1]))
    return width, height


def _event_image(figure: Any, events: Any) -> None:
    width, height = _sensor_size(events)
    flat = events.y.astype(np.intp) * width + events.x.astype(np.intp)
    counts = np.bincount(flat, minlength=width * height).reshape(height, width)
    positive = counts[counts > 0]
    vmax = float(np.percentile(positive, 99)) if positive.size else 1.0
    # jAER decodes with the origin at the bottom-left; AEDAT 4 / libcaer put it at the top-left.
    origin = "lower" if "decode" in events.metadata else "upper"
    ax = figure.add_subplot()
    image = ax.imshow(
        counts,
        origin=origin,
        cmap="inferno",
        vmin=0,
        vmax=max(vmax, 1.0),
        interpolation="nearest",
        aspect="equal",
    )
    ax.set_xlabel("x (pixel)")
    ax.set_ylabel("y (pixel)")
    figure.colorbar(image, ax=ax, label="events per pixel (clipped at 99th percentile)")


def _event_raster(figure: Any, events: Any) -> None:
    ax = figure.add_subplot()
    n = len(events)
    if events.addresses is not None:
        ids, label = events.addresses, "address"
    elif events.x is not None:
        ids, label = events.x, "x (pixel)"
    else:
        ids, label = np.zeros(n), "event"
    step = max(1, -(-n // MAX_RASTER_POINTS))
    times = events.times[::step]
    ax.scatter(
        times, np.asarray(ids)[::step], s=1.0, marker=".", linewidths=0, color="black", rasterized=True
    )
    ax.set_xlabel("time (s)")
    ax.set_ylabel(label + (f", every {step}th event shown" if step > 1 else ""))
    if n:
        ax.set_xlim(float(times.min()), float(times.max()) if len(times) > 1 else float(times.min()) + 1e-3)


# -- traces --------------------------------------------------------------------------------------
def _plot_traces(Figure: Any, traces: Any, title: str | None) -> Any:
    layout = np.asarray(getattr(traces, "layout", np.arange(traces.values.shape[1]).reshape(1, -1)))
    names = list(getattr(traces, "channel_names", traces.columns))
    values = np.asarray(traces.values)
    numeric = [c for c in range(layout.shape[1]) if not np.all(np.isnan(values[:, layout[:, c]]))]
    if not numeric:
        raise ValueError("no channel holds numbers to plot")
    layout = layout[:, numeric]
    names = [names[c] for c in numeric]
    channels = min(layout.shape[1], MAX_PANELS)
    figure = Figure(figsize=(8, 2.2 + 1.8 * channels), layout="constrained")
    axes = figure.subplots(channels, 1, sharex=True, squeeze=False)[:, 0]
    rows = traces.values.shape[0]
    step = max(1, -(-rows // MAX_LINE_POINTS))
    if traces.times is not None:
        x = traces.times[::step]
        unit = getattr(traces, "time_unit", "")
        xlabel = f"{traces.time_name} ({unit})" if unit else traces.time_name
    else:
        x = np.arange(0, rows, step)
        xlabel = "sample"
    for c, ax in enumerate(axes):
        columns = layout[:, c]
        for j in columns:
            ax.plot(x, values[::step, j], linewidth=0.8)
        unit = traces.units[columns[0]]
        ax.set_ylabel(f"{names[c]} ({unit})" if unit else str(names[c]))
        if len(columns) > 1:
            ax.set_title(f"{len(columns)} sweeps", fontsize="small", loc="right")
    axes[-1].set_xlabel(xlabel)
    more = f" (first {MAX_PANELS} of {layout.shape[1]} channels)" if layout.shape[1] > MAX_PANELS else ""
    figure.suptitle(f"{title + ': ' if title else ''}{rows} samples{more}")
    return figure
