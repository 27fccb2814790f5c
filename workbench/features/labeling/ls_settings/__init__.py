"""Python files Label Studio itself loads when the workbench starts it (`server.server_env` puts this folder on its
PYTHONPATH and names `workbench_offline_settings` in DJANGO_SETTINGS_MODULE). They run inside Label Studio's own venv,
never in the workbench's.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SETTINGS_MODULE = "workbench_offline_settings"

