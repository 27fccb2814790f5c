"""Prebuilt blocks; each registers under the workbench.blocks entry-point group like any plugin."""
