"""Export page: the design as a runnable script, and downloads of the script, model, design and history."""

import streamlit as st

from builder import DataError, DesignError, session
from builder.report import script as export
from builder.report.feature_script import saved_model_inputs
from builder.session import runs
from pages import run_inside_shell

run_inside_shell()
ss = st.session_state

st.header("Export")
st.caption("Take the model away: a Python script that trains it on your data, the trained model, "
           "the design file and the training history.")

design = session.current(ss)
report = session.report(ss)
dataset = ss.get("dataset")

if not report.ok:
    st.error("The design has errors, so its code would not run. Fix them on the Design page:\n\n"
             + "\n".join(f"- {p}" for p in report.errors))
    st.stop()

fits = export.dataset_fits(design, dataset)
try:
    data_name = export.data_file_name(design, dataset)
    script = export.training_script(design, data_name)
except (DesignError, DataError) as e:
    st.error(str(e))
    st.stop()

st.subheader("Training script")
st.write(f"Run it with `python {export.script_name(design)} --data {data_name}`. "
         f"It needs only {export.requirements(design)}.")
columns = st.columns(2)
columns[0].download_button("Download the script", script, file_name=export.script_name(design),
                           mime="text/x-python", key="download_script", width="stretch")
if dataset is not None and not fits:
    columns[1].info(f"The dataset {dataset.name!r} does not fit this design's input, so it is not offered here.")
elif dataset is not None:
    try:
        columns[1].download_button(f"Download the data ({data_name})", export.data_file_bytes(dataset),
                                   file_name=data_name, key="download_data", width="stretch")
    except DataError as e:
        columns[1].error(str(e))
st.code(script, language="python", line_numbers=True)

st.subheader("Design and results")
st.caption(saved_model_inputs(design))       # issue 12: dates, text, images and windows change what it takes
latest = runs.latest(ss)
columns = st.columns(3)
columns[0].download_button("Download the design (JSON)", export.design_json(design),
                           file_name=f"{export.file_stem(design)}.json", mime="application/json",
                           key="download_design", width="stretch")
model_bytes = runs.model_bytes(latest)
if model_bytes:
    columns[1].download_button("Download the trained model (.keras)", model_bytes,
                               file_name=f"{export.file_stem(design)}.keras", key="download_model", width="stretch")
else:
    columns[1].info("Train first: the trained model appears here after a run on the Train page.")
if latest is not None and latest.history:
    columns[2].download_button("Download the history (CSV)", export.history_csv(latest.history),
                               file_name=f"{export.file_stem(design)}_history.csv", mime="text/csv",
                               key="download_history", width="stretch")
else:
    columns[2].info("Train first: the loss history of the latest run appears here.")
