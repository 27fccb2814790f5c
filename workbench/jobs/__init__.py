"""Background work that survives a page refresh: pipeline runs (runs.py)."""
