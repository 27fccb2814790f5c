"""Model weights and runtimes: the model zoo and the ultralytics environment."""
