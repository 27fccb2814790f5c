"""Prebuilt sources blocks."""
