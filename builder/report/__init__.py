"""What a finished run tells the user: per-head metrics, figures, and the runnable training script.

May import ``builder.design``, ``builder.model`` and ``builder.data``. Plotly is imported inside functions.
"""
