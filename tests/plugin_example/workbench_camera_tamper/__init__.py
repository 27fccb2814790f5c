"""Example plugin package for the video workbench."""
