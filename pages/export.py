"""Export page: the design as a runnable script, and downloads of the script, model, design and history."""

import streamlit as st

from builder import DataError, DesignError, session
from builder.data import dataset_bytes
from builder.report import files, script, snippet
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

fits = files.dataset_fits(design, dataset)
try:
    data_name = files.data_file_name(design, dataset)
    code = script.training_script(design, data_name)
except (DesignError, DataError) as e:
    st.error(str(e))
    st.stop()

st.subheader("Training script")
st.write(f"Run it with `python {script.script_name(design)} --data {data_name}`. "
         f"It needs only {script.requirements(design)}.")
columns = st.columns(2)
columns[0].download_button("Download the script", code, file_name=script.script_name(design),
                           mime="text/x-python", key="download_script", width="stretch")
if dataset is not None and not fits:
    columns[1].info(f"The dataset {dataset.name!r} does not fit this design's input, so it is not offered here.")
elif dataset is not None:
    try:
        columns[1].download_button(f"Download the data ({data_name})", dataset_bytes(dataset),
                                   file_name=data_name, key="download_data", width="stretch")
    except DataError as e:
        columns[1].error(str(e))

st.subheader("Design and results")
st.caption(saved_model_inputs(design))       # issue 12: dates, text, images and windows change what it takes
model_file = f"{files.file_stem(design)}.keras"
latest = runs.latest(ss)
columns = st.columns(3)
columns[0].download_button("Download the design (JSON)", files.design_json(design),
                           file_name=f"{files.file_stem(design)}.json", mime="application/json",
                           key="download_design", width="stretch")
model_bytes = runs.model_bytes(latest)
if model_bytes:
    columns[1].download_button("Download the trained model (.keras)", model_bytes,
                               file_name=model_file, key="download_model", width="stretch")
else:
    columns[1].info("Train first: the trained model appears here after a run on the Train page.")
if latest is not None and latest.history:
    columns[2].download_button("Download the history (CSV)", files.history_csv(latest.history),
                               file_name=f"{files.file_stem(design)}_history.csv", mime="text/csv",
                               key="download_history", width="stretch")
else:
    columns[2].info("Train first: the loss history of the latest run appears here.")

# The code below the downloads: long reads, not the first thing a visitor needs.
st.subheader("Use the trained model")
st.write(f"The model file (`{model_file}`, above) takes one row of raw values keyed by the CSV's own column "
         "names and returns one array per head, in this order:")
st.markdown("\n".join(f"- {line}" for line in snippet.output_meanings(design)))
renamed = files.renamed_inputs(design)
if renamed:
    st.write("Keras does not allow these column names as input names, so the model uses these instead:")
    st.table({"column": list(renamed), "model input": list(renamed.values())})
st.code(snippet.predict_snippet(design, model_file, snippet.example_row(design, dataset if fits else None)),
        language="python")

st.subheader("The training script")
st.code(code, language="python", line_numbers=True)
