"""Training engine: worker processes that train a design and stream per-head events (no streamlit)."""
