"""Prebuilt sinks blocks."""
