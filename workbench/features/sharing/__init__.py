"""The shared algorithm registry: bundles, signatures, publisher keys and the stores that hold them (issue 5)."""
