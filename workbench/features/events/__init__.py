"""The event store as staff use it: ingest run folders, list and export events (`workbench events`)."""
