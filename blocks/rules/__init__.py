"""Prebuilt rules blocks."""
