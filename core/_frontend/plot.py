"""Quick-look plots of loaded results (needs matplotlib: ``pip install "neurofiles[plot]"``).

* Events with pixel coordinates (or raw addresses of a known camera, which are
  decoded first): x x y images of event counts, ON and OFF apart.
* Other events: a raster, time on x, address (or pixel index) on y; IMU
  samples of a decoded camera in their own panel.
* Traces: one panel per channel (all of them, in a grid when there are many),
  every sweep overlaid (a legend up to 10 sweeps, a colour scale beyond), the
  command waveform in its own panel, units on the axes.

Time axes start at 0 (the first event or sample) unless ``relative=False``;
the absolute start is then in the title.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no GUI), so
plotting works headless and never changes the caller's backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import OptionError
from .._framework.specs import import_object

__all__ = ["guess_layout", "plot"]

INSTALL_HINT = 'pip install "neurofiles[plot]"'
MAX_RASTER_POINTS = 200_000
MAX_LINE_POINTS = 100_000
MAX_LEGEND_SWEEPS = 10
ROWS_PER_COLUMN = 8
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


def plot(
    data: Any, *, kind: str = "auto", layout: str | None = None, title: str | None = None, relative: bool = True
) -> Any:
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
    relative
        Time axis from the first event or sample (its absolute value in the title);
        False keeps the file's clock.

    Raises
    ------
    MissingDependencyError
        matplotlib is not installed.
    OptionError
        ``kind`` does not apply, or a table of results (not a time series).
    """
    from .._results.tabular import kind_of

    Figure = _figure_class()
    what = kind_of(data)
    if what == "Traces":
        if kind not in ("auto", "traces"):
            raise OptionError(f"kind={kind!r} does not apply to Traces; use 'traces'")
        return _plot_traces(Figure, data, title, relative)
    if kind == "traces":
        raise OptionError("kind='traces' applies to Traces, not Events")
    return _plot_events(Figure, data, kind, layout, title, relative)


def _clock(seconds: float) -> str:
    """An absolute time: a date for Unix clocks (after 2001), else seconds."""
    if seconds > 1e9:
        import datetime

        when = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
        return when.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    return f"{seconds:.6g} s"


def _tick_note(metadata: dict[str, Any]) -> str:
    """A title line when the clock tick is not stated by the file."""
    guessed = metadata.get("tick_guessed") or (
        metadata.get("tick_source") == "default" and metadata.get("version_source") == "default"
    )
    if not guessed:
        return ""
    tick = metadata.get("tick")
    return f"\ntick not stated by the file: {tick:g} s assumed (set it with tick=, CLI -O tick=)" if tick else ""


# -- events --------------------------------------------------------------------------------------
def _decoded(events: Any, layout: str | None) -> Any:
    if events.x is not None and events.y is not None:
        return events
    layout = layout or guess_layout(events.metadata)
    if layout is None or events.addresses is None:
        return events
    return events.decode(layout)


def _plot_events(
    Figure: Any, events: Any, kind: str, layout: str | None, title: str | None, relative: bool
) -> Any:
    events = _decoded(events, layout)
    has_xy = events.x is not None and events.y is not None
    if kind == "image" and not has_xy:
        raise OptionError(
            "these events have no x/y coordinates; pass layout= (dvs128, davis346...) or use a raster"
        )
    figure = Figure(figsize=(9, 5.5), layout="constrained")
    n = len(events)
    name = f"{title}: " if title else ""
    if n == 0:
        ax = figure.add_subplot()
        ax.text(0.5, 0.5, "no events", ha="center", va="center", fontsize="xx-large", transform=ax.transAxes)
        ax.set_axis_off()
        figure.suptitle(f"{name}no events")
        return figure
    t0 = float(events.times[0]) if relative else 0.0
    if has_xy and kind != "raster":
        _event_image(figure, events)
    else:
        _event_raster(figure, events, t0, relative)
    start = f", start {_clock(float(events.times[0]))}" if relative else ""
    figure.suptitle(f"{name}{n} events, {events.duration:.3g} s{start}{_tick_note(events.metadata)}")
    return figure


def _sensor_size(events: Any) -> tuple[int, int]:
    size = events.metadata.get("sensor_size")
    width = int(events.x.max()) + 1 if len(events) else 1
    height = int(events.y.max()) + 1 if len(events) else 1
    if isinstance(size, (list, tuple)) and len(size) == 2:
        width, height = max(width, int(size[0])), max(height, int(size[1]))
    return width, height


def _event_image(figure: Any, events: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    width, height = _sensor_size(events)
    flat = events.y.astype(np.intp) * width + events.x.astype(np.intp)
    if events.polarity is not None:
        on = np.asarray(events.polarity).astype(bool)
        parts = [("ON events", "Reds", flat[on]), ("OFF events", "Blues", flat[~on])]
    else:
        parts = [("events", "inferno", flat)]
    # jAER decodes with the origin at the bottom-left; AEDAT 4 / libcaer put it at the top-left.
    origin = "lower" if "decode" in events.metadata else "upper"
    axes = figure.subplots(1, len(parts), squeeze=False)[0]
    for ax, (label, cmap, pixels) in zip(axes, parts):
        counts = np.bincount(pixels, minlength=width * height).reshape(height, width)
        positive = counts[counts > 0]
        vmax = max(1, int(np.ceil(np.percentile(positive, 99)))) if positive.size else 1
        image = ax.imshow(
            counts, origin=origin, cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest", aspect="equal"
        )
        ax.set_title(f"{label} ({len(pixels)})", fontsize="medium")
        ax.set_xlabel("x (pixel)")
        ax.set_ylabel("y (pixel)")
        bar = figure.colorbar(image, ax=ax, shrink=0.8, label="events per pixel (clipped at 99th percentile)")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()


def _event_raster(figure: Any, events: Any, t0: float, relative: bool) -> None:
    imu = _imu_series(events)
    if imu is not None:
        ax, imu_ax = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    else:
        ax, imu_ax = figure.add_subplot(), None
    n = len(events)
    if events.x is not None and events.y is not None:
        width, _ = _sensor_size(events)
        ids = events.y.astype(np.int64) * width + events.x.astype(np.int64)
        label = f"pixel index (y x {width} + x)"
    elif events.addresses is not None:
        ids, label = events.addresses, "address"
    else:
        ids, label = np.zeros(n), "event"
    step = max(1, -(-n // MAX_RASTER_POINTS))
    times = events.times[::step] - t0
    ids = np.asarray(ids)[::step]
    kw = {"s": 1.0, "marker": ".", "linewidths": 0, "rasterized": True}
    if events.polarity is not None and events.x is not None:
        on = np.asarray(events.polarity)[::step].astype(bool)
        ax.scatter(times[on], ids[on], color="tab:red", label="ON", **kw)
        ax.scatter(times[~on], ids[~on], color="tab:blue", label="OFF", **kw)
        ax.legend(loc="upper right", markerscale=8)
    else:
        ax.scatter(times, ids, color="black", **kw)
    xlabel = "time from the first event (s)" if relative else "time (s)"
    (imu_ax or ax).set_xlabel(xlabel)
    ax.set_ylabel(label + (f", every {step}th event shown" if step > 1 else ""))
    ax.set_xlim(float(times.min()), float(times.max()) if float(times.max()) > float(times.min()) else float(times.min()) + 1e-3)
    if imu_ax is not None and imu is not None:
        t, series = imu
        for key, values in series.items():
            imu_ax.plot(t * events.tick - t0, values, linewidth=0.7, label=key)
        raw = isinstance(events.streams.get("imu"), dict)  # jAER words: raw sensor counts; AEDAT 4: g
        imu_ax.set_ylabel("IMU accelerometer (raw counts)" if raw else "IMU accelerometer (g)")
        imu_ax.legend(loc="upper right", fontsize="x-small", ncols=3)


def _imu_series(events: Any) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
    """(timestamps, accelerometer columns) of the IMU stream, if there is one with samples."""
    imu = (events.streams or {}).get("imu")
    if imu is None:
        return None
    names = {"ax": "x", "ay": "y", "az": "z", "accelerometer_x": "x", "accelerometer_y": "y", "accelerometer_z": "z"}
    if isinstance(imu, dict):
        t, fields = imu.get("timestamps"), {k: imu[k] for k in names if k in imu}
    elif getattr(imu, "dtype", None) is not None and imu.dtype.names:
        t = imu["timestamp"] if "timestamp" in imu.dtype.names else None
        fields = {k: imu[k] for k in names if k in imu.dtype.names}
    else:
        return None
    if t is None or not fields or len(t) == 0:
        return None
    return np.asarray(t, dtype=np.float64), {names[k]: np.asarray(v, dtype=np.float64) for k, v in fields.items()}


# -- traces --------------------------------------------------------------------------------------
def _time_label(traces: Any, relative: bool) -> str:
    unit = getattr(traces, "time_unit", "") or ""
    name = str(traces.time_name)
    if not unit and str(traces.metadata.get("format", "")).startswith("neuron"):
        return f"{name} (ms if it is NEURON's t, its default unit; the file states no unit)"
    return f"{name} ({unit})" if unit else name


def _plot_traces(Figure: Any, traces: Any, title: str | None, relative: bool) -> Any:
    if traces.times is None and getattr(traces, "text", None):
        raise OptionError(
            "this is a table of results (text columns "
            + ", ".join(map(repr, list(traces.text)[:3]))
            + "), not a time series: nothing to plot; read it with `neurofiles info` or convert it to .csv"
        )
    layout = np.asarray(getattr(traces, "layout", np.arange(traces.values.shape[1]).reshape(1, -1)))
    names = list(getattr(traces, "channel_names", traces.columns))
    values = np.asarray(traces.values)
    numeric = [c for c in range(layout.shape[1]) if not np.all(np.isnan(values[:, layout[:, c]]))]
    if not numeric:
        raise OptionError("no channel holds numbers to plot")
    layout = layout[:, numeric]
    names = [names[c] for c in numeric]
    command = traces.metadata.get("command")
    has_command = command is not None and hasattr(command, "values") and np.size(command.values) > 0
    panels = layout.shape[1] + (1 if has_command else 0)
    cols = -(-panels // ROWS_PER_COLUMN)
    rows_ = -(-panels // cols)
    figure = Figure(figsize=(8 * cols, 2.2 + 1.8 * rows_), layout="constrained")
    grid = figure.subplots(rows_, cols, sharex=True, squeeze=False)
    axes = list(grid.T.ravel())  # down the first column, then the next
    for extra in axes[panels:]:
        extra.set_visible(False)
    rows = traces.values.shape[0]
    step = max(1, -(-rows // MAX_LINE_POINTS))
    start = 0.0
    if traces.times is not None:
        start = float(traces.times[0]) if relative and len(traces.times) else 0.0
        x = traces.times[::step] - start
        xlabel = _time_label(traces, relative)
        if relative and start:
            xlabel += f", from {start:.6g}"
    else:
        x = np.arange(0, rows, step)
        xlabel = "sample"
    sweeps = layout.shape[0]
    colours = _sweep_colours(sweeps)
    for c in range(layout.shape[1]):
        ax = axes[c]
        columns = layout[:, c]
        for k, j in enumerate(columns):
            ax.plot(x, values[::step, j], linewidth=0.8, color=colours[k], label=f"sweep {k + 1}")
        unit = traces.units[columns[0]]
        ax.set_ylabel(f"{names[c]} ({unit})" if unit else str(names[c]))
    if has_command:
        _command_panel(axes[panels - 1], command, step, start, colours)
    for ax in axes[:panels]:
        ax.set_xlabel(xlabel)
        ax.xaxis.label.set_visible(ax is axes[panels - 1] or ax in grid[-1])
    if 1 < sweeps <= MAX_LEGEND_SWEEPS:
        axes[0].legend(loc="upper right", fontsize="x-small", ncols=min(sweeps, 5))
    elif sweeps > MAX_LEGEND_SWEEPS:
        _sweep_colourbar(figure, axes[:panels], sweeps)
    what = f"{rows} samples" + (f" x {sweeps} sweeps" if sweeps > 1 else "") + f", {layout.shape[1]} channel" + ("s" if layout.shape[1] > 1 else "")
    figure.suptitle(f"{title + ': ' if title else ''}{what}")
    return figure


def _sweep_colours(sweeps: int) -> list[Any]:
    if sweeps <= MAX_LEGEND_SWEEPS:
        return [f"C{k}" for k in range(sweeps)]
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(k / max(sweeps - 1, 1)) for k in range(sweeps)]


def _sweep_colourbar(figure: Any, axes: list[Any], sweeps: int) -> None:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.ticker import MaxNLocator

    mappable = ScalarMappable(norm=Normalize(1, sweeps), cmap=colormaps["viridis"])
    bar = figure.colorbar(mappable, ax=axes, label="sweep", shrink=0.9)
    bar.locator = MaxNLocator(integer=True)
    bar.update_ticks()


def _command_panel(ax: Any, command: Any, step: int, start: float, colours: list[Any]) -> None:
    """The command (stimulus) waveform of every sweep, on its own axis."""
    values = np.asarray(command.values)
    t = command.times[::step] - start if command.times is not None else np.arange(0, values.shape[0], step)
    layout = np.asarray(getattr(command, "layout", np.arange(values.shape[1]).reshape(-1, 1)))
    columns = layout[:, 0]
    if np.all(np.isnan(values[:, columns])):  # e.g. a protocol that takes its waveform from another file
        ax.text(0.5, 0.5, "command waveform not stored in this file", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_yticks([])
    for k, j in enumerate(columns):
        ax.plot(t, values[::step, j], linewidth=0.8, color=colours[k % len(colours)])
    unit = command.units[columns[0]] if command.units else ""
    name = list(getattr(command, "channel_names", command.columns))[0]
    ax.set_ylabel(f"command {name} ({unit})" if unit else f"command {name}")
    ax.set_title("command waveform", fontsize="small", loc="right")
