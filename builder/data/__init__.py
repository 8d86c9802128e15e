"""Data: built-in datasets, CSV ingestion and profiling, column roles, splits (no streamlit, no TF at import)."""
