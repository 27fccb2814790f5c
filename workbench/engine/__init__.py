"""Pipelines as data and the engine that checks and runs them: spec, validation, compiled graph, runner."""
