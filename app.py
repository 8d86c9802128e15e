"""Entry point: `streamlit run app.py`. Navigation and the sidebar only."""

import streamlit as st

import builder

st.set_page_config(page_title="Multi-output model designer", layout="wide")
st.title("Multi-output model designer")
for name in builder.TEMPLATE_NAMES:
    st.write(f"**{name}**: {builder.describe(name)}")
