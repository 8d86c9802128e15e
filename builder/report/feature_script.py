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


def feature_code(design: Design) -> str:
    """Code placed after the script's loader: it redefines ``load_data`` and ``set_normalization`` (and, for
    windows, ``split_rows``) so dates, text, images and windows are read and prepared as the app does."""
    from ..quoting import quoted

    spec = design.input
    if isinstance(spec, ImageInput):
        return IMAGE_CODE.replace("PIXELS_LITERAL", quoted(spec.columns)).replace("SHAPE_LITERAL",
                                                                                 quoted(list(spec.shape)))
    if isinstance(spec, WindowInput):
        settings = quoted({"columns": list(spec.columns), "time_column": spec.time_column, "window": spec.window,
                           "horizon": spec.horizon, "stride": spec.stride})
        import inspect

        from ..data import dates, windows

        return "\n\n".join([inspect.getsource(dates.set_statistics).strip(),
                             inspect.getsource(windows.split_bounds).strip(),
                             inspect.getsource(windows.window_batches).strip(),
                             WINDOW_CODE.replace("WINDOW_LITERAL", settings).strip()])
    from ..data import dates, text
    from ..model.preprocessing import layer_names

    stems = layer_names(spec)
    columns = {c.name: {"parts": list(c.parts), "layer": f"{stems[c.name]}_norm"} if c.kind == "date" else
               {"max_tokens": c.max_tokens, "mode": c.output_mode, "layer": f"{stems[c.name]}_text"}
               for c in spec.columns if c.kind in ("date", "text")}
    return "\n\n".join([dates.script_code().strip(), text.script_code().strip(),
                         TABLE_FEATURES_CODE.replace("FEATURES_LITERAL", quoted(columns)).strip()])


TABLE_FEATURES_CODE = '''
# Date and text columns: each date becomes its parts (year, month, cycles...), each text its words
FEATURE_COLUMNS = FEATURES_LITERAL
table_load_data, table_set_normalization = load_data, set_normalization


def load_data(path):
    """The table's inputs, with date columns as their parts and text columns as one string per row."""
    x, targets = table_load_data(path)
    frame = pd.read_csv(path)
    for column, feature in FEATURE_COLUMNS.items():
        name = COLUMNS[column]["input"]
        if "parts" in feature:
            x[name] = expand_dates(frame[column], feature["parts"])
        else:
            x[name] = frame[column].map(unguarded).fillna("").astype(str).to_numpy(dtype=object)
    return x, targets


def set_normalization(model, x, rows):
    """Numeric columns as before; date parts' statistics and text vocabularies from the training rows."""
    table_set_normalization(model, x, rows)
    for column, feature in FEATURE_COLUMNS.items():
        values, layer = x[COLUMNS[column]["input"]][rows], model.get_layer(feature["layer"])
        if "parts" in feature:
            set_statistics(layer, values)
        else:
            set_text_vocabulary(layer, values, feature["max_tokens"], feature["mode"])
'''

IMAGE_CODE = '''
# Images from pixel columns (row-major, channels last); the model scales 0-255 to 0-1 itself
PIXELS, IMAGE_SHAPE = PIXELS_LITERAL, SHAPE_LITERAL


def load_data(path):
    frame = pd.read_csv(path)
    images = frame[PIXELS].to_numpy("float32").reshape(len(frame), *IMAGE_SHAPE)
    return images, {h["name"]: frame[h["target"]] for h in HEADS}


def set_normalization(model, x, rows):
    pass  # Rescaling needs no statistics
'''

WINDOW_CODE = '''
# Time-series windows: each sample is the "window" rows up to t of "columns"; heads predict row t + "horizon"
WINDOWS = WINDOW_LITERAL
SPLIT_SIZES = []     # windows in training, validation and test, in that order (set by load_data)
TRAINING_TABLE = []  # the rows the training windows cover (set by load_data): the input statistics' source


class Windows:
    \"\"\"Every window of the series as one table and each window's last row; windows[rows] copies those.\"\"\"

    def __init__(self, values, ends):
        self.values, self.ends = values, ends

    def __len__(self):
        return len(self.ends)

    def __getitem__(self, rows):
        view = np.lib.stride_tricks.sliding_window_view(self.values, WINDOWS["window"], axis=0)  # no copy
        return view[self.ends[rows] - WINDOWS["window"] + 1].swapaxes(1, 2)


def load_data(path):
    \"\"\"The series' windows, split by time as in the app: the rows split first (training, then validation,
    then test) and each split's windows and targets lie inside its own rows, so none overlap.\"\"\"
    frame = pd.read_csv(path)
    if WINDOWS["time_column"]:
        times = pd.to_datetime(frame[WINDOWS["time_column"]], errors="coerce", format="mixed")
        frame = frame.iloc[np.argsort(times.to_numpy(), kind="stable")].reset_index(drop=True)
    values = frame[WINDOWS["columns"]].to_numpy("float32")
    window, horizon = WINDOWS["window"], WINDOWS["horizon"]
    bounds = split_bounds(len(frame), VALIDATION_SPLIT, TEST_SPLIT)
    ends = [np.arange(low + window - 1, high - horizon, WINDOWS["stride"]) for low, high in zip(bounds, bounds[1:])]
    SPLIT_SIZES[:] = [len(e) for e in ends]
    TRAINING_TABLE[:] = [values[:ends[0][-1] + 1]]
    ends = np.concatenate(ends)
    return Windows(values, ends), {h["name"]: frame[h["target"]].iloc[ends + horizon].reset_index(drop=True)
                                   for h in HEADS}


def set_normalization(model, x, rows):
    \"\"\"Per-column statistics of the table rows the training windows cover, each row once, as the app does.\"\"\"
    set_statistics(model.get_layer("window_norm"), TRAINING_TABLE[0])


def split_rows(n, strata=None):
    \"\"\"The splits load_data made: training windows first, then validation, then test.\"\"\"
    n_train, n_val, _ = SPLIT_SIZES
    rows = np.arange(n)
    return rows[:n_train], rows[n_train:n_train + n_val], rows[n_train + n_val:]


def fit_data(x, y, weights, rows, batch_size, shuffle):
    \"\"\"Batches gathered from the one table (never a copy of every window), shuffled as the app shuffles.\"\"\"
    data = window_batches(x.values, x.ends[rows], WINDOWS["window"], [t[rows] for t in y],
                          [w[rows] for w in weights], batch_size, shuffle, SEED)
    return dict(x=data, shuffle=False)
'''


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
