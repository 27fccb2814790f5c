"""Prebuilt detection blocks."""
