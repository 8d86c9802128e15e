"""Streamlit custom components of the app (plain HTML/CSS/JS, no build step) and their Python wrappers."""
