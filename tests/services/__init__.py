"""Real services for tests, started on 127.0.0.1 on free ports and stopped again (only our own processes)."""
