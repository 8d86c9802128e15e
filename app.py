"""Entry point: `streamlit run app.py`. Navigation and the sidebar only (placeholder shell)."""

import streamlit as st

st.set_page_config(page_title="Multi-output model designer", layout="wide")
nav = st.navigation([
    st.Page("pages/data.py", title="Data", url_path="data", default=True),
    st.Page("pages/design.py", title="Design", url_path="design"),
    st.Page("pages/train.py", title="Train", url_path="train"),
    st.Page("pages/results.py", title="Results", url_path="results"),
    st.Page("pages/export.py", title="Export", url_path="export"),
])
nav.run()
