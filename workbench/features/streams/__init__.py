"""Live streams: a reconnecting reader with health counters, and `workbench serve` for many cameras at once."""
