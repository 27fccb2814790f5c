"""Prebuilt filters blocks."""
