"""Python files Label Studio itself loads when the workbench starts it (`server.server_env` puts this folder on its
PYTHONPATH and names `workbench_offline_settings` in DJANGO_SETTINGS_MODULE). They run inside Label Studio's own venv,
never in the workbench's.
"""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SETTINGS_MODULE = "workbench_offline_settings"

# The offline settings of every Label Studio the workbench runs: the local one (`server.server_env`) and the container
# of the production stack (deploy/compose.yaml, which mounts this folder; tests/deploy checks it stays the same).
OFFLINE_ENV = {"DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "",
               "FRONTEND_SENTRY_DSN": "", "COLLECT_ANALYTICS": "false"}

