"""Issue 12 in the exported training script: the same date expansion, text vocabulary, pixel images and
time-series windows as the app, as standalone code (a generator per feature kind).

``builder.report.script`` calls these; each returns code lines.  The helpers
are copied from the functions the app runs (``inspect.getsource``), so the
script and the app cannot drift apart.
"""

from __future__ import annotations

from ..design.inputs import ImageInput, TableInput, WindowInput
from ..design.spec import Design


def uses_features(design: Design) -> bool:
    """Whether the script needs any of this module's code."""
    if isinstance(design.input, TableInput):
        return any(c.kind in ("date", "text") for c in design.input.columns)
    return isinstance(design.input, (ImageInput, WindowInput))


def reads_csv(design: Design) -> bool:
    """Image and window designs, like table designs, read a CSV."""
    return isinstance(design.input, (TableInput, ImageInput, WindowInput))


def column_helpers(design: Design) -> list[str]:
    """Functions the table loader needs for date and text columns."""
    from ..data import dates, text

    kinds = {c.kind for c in design.input.columns}
    lines = []
    if "date" in kinds:
        lines += ["", "", *dates.script_code().rstrip().splitlines()]
        parts = {c.name: list(c.parts) for c in design.input.columns if c.kind == "date"}
        lines += ["", "", "# Date column -> the numbers the model takes from it", f"DATE_PARTS = {parts!r}"]
    if "text" in kinds:
        lines += ["", "", *text.script_code().rstrip().splitlines()]
        settings = {c.name: (c.max_tokens, c.output_mode) for c in design.input.columns if c.kind == "text"}
        lines += ["", "", "# Text column -> (vocabulary size, encoding)", f"TEXT = {settings!r}"]
    return lines


def column_load_lines() -> list[str]:
    """``load_data`` branches (inside its column loop) for date and text columns."""
    return [
        "        if kind == 'date':",
        "            x[name] = expand_dates(frame[column], DATE_PARTS[column])",
        "            continue",
        "        if kind == 'text':",
        "            x[name] = frame[column].fillna('').astype(str).to_numpy(dtype=object)",
        "            continue",
    ]


def column_fit_lines() -> list[str]:
    """``fit_preprocessing`` branches (inside its column loop) for date and text columns."""
    return [
        "        if kind == 'date':",
        "            values = x[name][rows]",
        "            model.get_layer(f'{name}_norm').adapt(values[~np.isnan(values).any(axis=1)])",
        "        if kind == 'text':",
        "            set_text_vocabulary(model.get_layer(f'{name}_text'), x[name][rows], *TEXT[column])",
    ]


def tensor_loader_code(design: Design) -> list[str]:
    """``load_data`` and ``fit_preprocessing`` for an image or window design (read from the CSV)."""
    spec = design.input
    if isinstance(spec, ImageInput):
        return [
            "# Pixel columns, row-major, channels last; the model scales 0-255 to 0-1 itself",
            f"PIXELS = [f'{spec.prefix}{{i}}' for i in range({spec.start}, {spec.start + len(spec.columns)})]",
            f"IMAGE_SHAPE = {tuple(spec.shape)!r}",
            "",
            "",
            "def load_data(path):",
            "    frame = pd.read_csv(path)",
            "    images = frame[PIXELS].to_numpy('float32').reshape(len(frame), *IMAGE_SHAPE)",
            "    return images, {h['name']: frame[h['target']].to_numpy() for h in HEADS}",
            "",
            "",
            "def fit_preprocessing(x, rows):",
            "    pass  # Rescaling needs no statistics",
        ]
    return [
        "# Time-series windows: each sample is the WINDOW rows up to t of COLUMNS; heads predict row t + HORIZON",
        f"COLUMNS, TIME_COLUMN = {list(spec.columns)!r}, {spec.time_column!r}",
        f"WINDOW, HORIZON, STRIDE = {spec.window!r}, {spec.horizon!r}, {spec.stride!r}",
        "",
        "",
        "def load_data(path):",
        "    frame = pd.read_csv(path)",
        "    if TIME_COLUMN:",
        "        order = pd.to_datetime(frame[TIME_COLUMN], errors='coerce', format='mixed')",
        "        frame = frame.iloc[np.argsort(order.to_numpy(), kind='stable')].reset_index(drop=True)",
        "    values = frame[COLUMNS].to_numpy('float32')",
        "    ends = np.arange(WINDOW - 1, len(frame) - HORIZON, STRIDE)",
        "    # a view of the table (no copy): window i is values[ends[i] - WINDOW + 1 : ends[i] + 1]",
        "    windows = np.lib.stride_tricks.sliding_window_view(values, WINDOW, axis=0)[ends - WINDOW + 1]",
        "    windows = windows.swapaxes(1, 2)",
        "    return windows, {h['name']: frame[h['target']].to_numpy()[ends + HORIZON] for h in HEADS}",
        "",
        "",
        "def fit_preprocessing(x, rows):",
        "    windows = x[rows]",
        "    model.get_layer('window_norm').adapt(windows[~np.isnan(windows).any(axis=(1, 2))])",
    ]


def split_lines(design: Design) -> list[str] | None:
    """Window designs split by time (validation last, no shuffle); None: the script's own shuffled split."""
    if not isinstance(design.input, WindowInput):
        return None
    return [
        "    # Windows split by time: the last VALIDATION_SPLIT of them validate",
        "    order = np.arange(len(y[0]))",
    ]


def saved_model_inputs(design: Design) -> str:
    """What the saved ``.keras`` model takes, in words: its input names and what each holds."""
    from ..model.preprocessing import layer_names

    spec = design.input
    if isinstance(spec, ImageInput):
        return (f"The saved model takes one array `input` of shape (rows, {', '.join(map(str, spec.shape))}): raw "
                f"0-255 pixels from columns {spec.columns[0]}..{spec.columns[-1]}; it scales them itself.")
    if isinstance(spec, WindowInput):
        order = f"ordered by {spec.time_column!r}" if spec.time_column else "in file order"
        return (f"The saved model takes one array `input` of shape (rows, {spec.window}, {len(spec.columns)}): "
                f"the last {spec.window} rows ({order}) of {', '.join(spec.columns)}; it predicts "
                f"{spec.horizon} step(s) after the last row.")
    if not isinstance(spec, TableInput):
        return f"The saved model takes one array `input` of shape (rows, {', '.join(map(str, spec.shape))})."
    names = layer_names(spec)
    parts = []
    for column in spec.columns:
        if column.kind == "date":
            parts.append(f"`{names[column.name]}` ({len(column.parts)} numbers from date {column.name!r}: "
                         f"{', '.join(column.parts)})")
        elif column.kind == "text":
            parts.append(f"`{names[column.name]}` (the text of {column.name!r})")
        else:
            parts.append(f"`{names[column.name]}` ({column.name!r})")
    return "The saved model takes one input per column: " + "; ".join(parts) + "."
