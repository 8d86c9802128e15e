"""What one user's session holds: the design with undo and URL, dataset roles, runs, widget descriptions.

Every function takes a plain ``MutableMapping`` (Streamlit's session state in the app, a dict in tests).
May import ``design``, ``model``, ``data``, ``train`` and ``report``; never Streamlit.
"""
