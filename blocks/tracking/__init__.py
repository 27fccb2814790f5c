"""Prebuilt tracking blocks."""
