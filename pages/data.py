"""Data page: pick a built-in dataset or upload a CSV, read its profile, give each column a role.

Layout only: loading, profiling and the suggested design live in
``builder.data``; the roles and applying them to the design in
``builder.session.design``.  A file that cannot be read shows the data layer's message
and leaves the current dataset as it was.
"""

import streamlit as st

from builder import session
from builder.design.spec import HEAD_KINDS
from builder.session import persist
from pages import bind, run_inside_shell
from pages import attempt as attempt_or_flash

run_inside_shell()

ss = st.session_state
FLASH, NOTE = "_data_flash", "_data_note"
KIND_CHOICES = ("auto", *HEAD_KINDS)
COLUMN_WIDTHS = [2, 1.2, 0.8, 0.8, 3.5, 1.5, 1.5]    # the column table: header and rows line up


def attempt(action, *args) -> bool:
    return attempt_or_flash(FLASH, action, *args)


# ----------------------------------------------------------- callbacks

def on_load_builtin() -> None:
    from builder.data import load_builtin
    name = ss["data.builtin"]
    if attempt(lambda: session.set_dataset(ss, load_builtin(name))):
        ss[session.BUILTIN_KEY] = name
        ss[NOTE] = f"Loaded {name}."


def on_upload() -> None:
    from builder.data import read_csv
    uploaded = ss.get("data.upload")
    if uploaded is None:
        return
    data = uploaded.getvalue()
    if attempt(lambda: session.set_dataset(ss, read_csv(data, name=uploaded.name))):
        persist.keep_upload(ss, uploaded.name, data)      # a refresh or a restarted server reads it again
        ss[session.BUILTIN_KEY] = None
        ss[NOTE] = f"Read {uploaded.name}."


def on_role(key: str, column: str) -> None:
    attempt(session.set_role, ss, column, ss[key])


def on_kind(key: str, column: str) -> None:
    attempt(session.set_kind, ss, column, None if ss[key] == "auto" else ss[key])


def on_features() -> None:
    window = ss.get("data.window") and ss.get("data.window_rows", 24)
    attempt(session.set_features, ss, window, ss.get("data.horizon", 1), ss.get("data.stride", 1),
            ss.get("data.time_column"), ss.get("data.image", True), ss.get("data.tokens"), ss.get("data.text_mode"))


def on_apply() -> None:
    before = session.current(ss)
    if attempt(session.apply_roles, ss):
        after = session.current(ss)
        kept = "kept your trunk" if before.trunk and after.trunk == before.trunk else "gave it a starting trunk"
        heads = ", ".join(h.name for h in after.heads)
        ss[NOTE] = f"Applied: {len(after.heads)} head(s) ({heads}); {kept}. Open the Design page to edit it."


# ----------------------------------------------------------- sections

def picker() -> None:
    from builder.data import BUILTIN, describe_builtin
    pick, upload = st.columns(2)
    with pick:
        with st.container(border=True):
            st.markdown("**A built-in dataset**")
            if ss.get("data.builtin") not in BUILTIN:
                ss["data.builtin"] = BUILTIN[0]
            st.selectbox("Dataset", BUILTIN, key="data.builtin")
            st.caption(describe_builtin(ss["data.builtin"]))
            st.button("Load", key="data.load", icon=":material/table:", on_click=on_load_builtin)
    with upload:
        with st.container(border=True):
            st.markdown("**Your own CSV**")
            st.file_uploader("CSV file", type=["csv"], key="data.upload", on_change=on_upload,
                             help="one row per sample, a header row with column names")


def column_page(dataset) -> list:
    """Search and page the columns: a file of 10,000 columns draws one page of them (widgets cost per column)."""
    from builder.data.profile import COLUMNS_PER_PAGE, find_columns
    hidden = session.hidden_columns(ss)          # pixel columns: the sample grid stands for them
    profile = [c for c in dataset.profile if c.name not in hidden]
    total = len(profile)
    if total <= COLUMNS_PER_PAGE:
        return profile
    search, page = st.columns([3, 1])
    query = search.text_input("Find columns", key="data.find", placeholder="part of a column name")
    _, matches = find_columns(profile, query)
    pages = max(1, -(-matches // COLUMNS_PER_PAGE))
    number = page.number_input(f"Page (of {pages})", 1, pages, key="data.page") if pages > 1 else 1
    shown, _ = find_columns(profile, query, number)
    st.caption(f"{len(shown)} of {matches:,} matching columns ({total:,} in the file).")
    return shown


def table_view(dataset) -> None:
    st.markdown(f"**Preview** ({len(dataset.frame):,} rows, {dataset.frame.shape[1]:,} columns)")
    shown = column_page(dataset)
    st.dataframe(dataset.frame[[c.name for c in shown]].head(50), width="stretch", height=220)
    st.markdown("**Columns**: what each one is, and what the model should do with it")
    roles = session.column_roles(ss)
    kinds = ss.get(session.KINDS, {})
    header = st.columns(COLUMN_WIDTHS)
    for col, title in zip(header, ("column", "kind", "missing", "distinct", "why this kind", "role", "target kind")):
        col.caption(title)
    for column in shown:
        name, kind, missing, distinct, reason, role, target_kind = st.columns(COLUMN_WIDTHS)
        name.markdown(f"`{column.name}`")
        kind.write(column.kind)
        missing.write(f"{column.missing:,}")
        distinct.write(f"{column.distinct:,}")
        reason.caption(column.reason)
        key = f"role.{column.name}"
        bind(key, roles.get(column.name, column.role))
        role.selectbox("role", session.ROLE_CHOICES, key=key, on_change=on_role, args=(key, column.name),
                       label_visibility="collapsed")
        if roles.get(column.name) == "target":
            key = f"kind.{column.name}"
            bind(key, kinds.get(column.name, "auto"))
            target_kind.selectbox("target kind", KIND_CHOICES, key=key, on_change=on_kind,
                                  args=(key, column.name), label_visibility="collapsed",
                                  help="auto: decided from the column; override it if the guess is wrong")
    features_view()
    chosen = session.targets(ss)
    st.button("Apply roles to the design", key="data.apply", type="primary", icon=":material/check:",
              disabled=not chosen, on_click=on_apply,
              help="creates or updates the input and one head per target; a trunk you built is kept")
    if not chosen:
        st.caption("Mark at least one column as a target: each target becomes a head of the model.")


def features_view() -> None:
    """Issue 12: images from pixel columns, time-series windows, text vocabulary."""
    line, grid = session.pixel_summary(ss)
    if line:
        st.markdown(f"**Images**: {line}")
        if grid:
            st.image([image for image, _ in grid], caption=[label for _, label in grid], width=56)
        st.checkbox("Use the pixel columns as an image input", value=True, key="data.image", on_change=on_features)
        return
    st.checkbox("Rows are time steps: train on windows of past rows", key="data.window", on_change=on_features)
    if ss.get("data.window"):
        window, horizon, stride, order = st.columns(4)
        window.number_input("window W (rows)", 1, 100_000, 24, key="data.window_rows", on_change=on_features)
        horizon.number_input("horizon H (steps ahead)", 0, 100_000, 1, key="data.horizon", on_change=on_features)
        stride.number_input("stride", 1, 100_000, 1, key="data.stride", on_change=on_features)
        order.selectbox("ordered by", session.time_columns(ss), key="data.time_column", on_change=on_features)
    if session.has_text(ss):
        tokens, mode = st.columns(2)
        tokens.number_input("text vocabulary (words)", 2, 50_000, 1000, key="data.tokens", on_change=on_features)
        mode.radio("text encoding", ("multi_hot", "tf_idf"), key="data.text_mode", horizontal=True,
                   on_change=on_features)


def tensor_view(dataset) -> None:
    st.markdown(f"**Inputs** `x`: shape {tuple(dataset.x.shape)}")
    for head, y in dataset.y.items():
        st.markdown(f"**Target** `{head}`: shape {tuple(y.shape)}")
    if dataset.template:
        st.button(f"Use the {dataset.template} design", key="data.apply", type="primary",
                  on_click=attempt, args=(session.start_from, ss, session.SUGGESTION))


# ----------------------------------------------------------- the page

session.ensure(ss)
st.header("Data")
for message in ss.pop(FLASH, []):
    st.error(message)
if note := ss.pop(NOTE, None):
    st.success(note)
picker()
dataset = ss.get(session.DATASET)
if dataset is not None:
    st.subheader(dataset.name)
    st.caption(dataset.source)
    for warning in dataset.warnings:      # what the reader fixed or guessed
        st.warning(warning)
    (tensor_view if dataset.kind == "tensor" else table_view)(dataset)
