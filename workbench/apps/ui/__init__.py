"""Streamlit pages. The UI imports the core; the core never imports the UI."""
