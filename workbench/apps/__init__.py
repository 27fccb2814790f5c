"""The two front ends: the command line (cli.py) and the Streamlit app (ui/)."""
