"""The production stack on paper (deploy/) stays consistent with the code: it cannot be started here (no Docker), so
these checks catch what would break it silently — a setting renamed in the code, a variable missing from env.example."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
WORKBENCH_SERVICES = ("app", "ray-head", "ray-worker")  # containers running the workbench image
# settings the workbench reads from its environment (names owned by the workbench or by the client libraries it uses)
OURS = re.compile(r"^(WORKBENCH_|LABEL_STUDIO_URL$|LABEL_STUDIO_API_KEY$)")


def _compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def _source_text() -> str:
    files = [*(REPO / "workbench").rglob("*.py"), *(REPO / "blocks").rglob("*.py"), REPO / "app.py"]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def test_every_workbench_setting_in_the_stack_is_read_by_the_code() -> None:
    services = _compose()["services"]
    source = _source_text()
    for name in WORKBENCH_SERVICES:
        env = services[name]["environment"]
        ours = [key for key in env if OURS.match(key)]
        assert ours, name
        unread = [key for key in ours if f'"{key}"' not in source]
        assert not unread, f"{name}: {unread} set in deploy/compose.yaml but read nowhere in the code"


def test_the_app_is_pointed_at_every_service_of_the_stack() -> None:
    env = _compose()["services"]["app"]["environment"]
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert env["LABEL_STUDIO_URL"] == "http://labelstudio:8080"
    assert env["WORKBENCH_REGISTRY_URL"].startswith("s3://") and env["WORKBENCH_REGISTRY_ENDPOINT"] == "http://minio:9000"
    for key in ("WORKBENCH_REGISTRY_ACCESS_KEY", "WORKBENCH_REGISTRY_SECRET_KEY", "WORKBENCH_REGISTRY_DISTRICT"):
        assert "${" in env[key], f"{key} must come from .env, not be written into the compose file"
    assert env["WORKBENCH_REGISTRY_POLICY"] == "refuse"  # unsigned or untrusted bundles are refused in production


def test_every_variable_the_stack_uses_is_in_env_example_and_nothing_else() -> None:
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", text))
    example = {line.split("=", 1)[0] for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")}
    assert used - example == set(), "add these to deploy/env.example"
    assert example - used == set(), "deploy/env.example sets variables the stack never uses"


def test_services_only_publish_the_documented_ports() -> None:
    services = _compose()["services"]
    published = {name: s.get("ports", []) for name, s in services.items() if s.get("ports")}
    assert published == {"minio": ["9001:9001"], "mlflow": ["5000:5000"], "labelstudio": ["8080:8080"],
                         "app": ["8501:8501"]}  # S3 API, PostgreSQL and Ray stay on the internal network


def test_files_the_stack_mounts_exist() -> None:
    services = _compose()["services"]
    assert (DEPLOY / services["mlflow"]["build"]["dockerfile"]).is_file()
    for mount in services["postgres"]["volumes"] + [services["minio-setup"]["volumes"][0]]:
        host = mount.split(":", 1)[0]
        if host.startswith("./"):
            assert (DEPLOY / host).exists(), host
    assert (REPO / "app.py").is_file() and (REPO / "Dockerfile").is_file()


def test_label_studio_runs_with_the_offline_settings_of_the_local_one() -> None:
    """The container gets what `workbench labelstudio start` gives the local server: no update check, no telemetry,
    and the settings module that answers the live tips locally, mounted from the workbench's own folder."""
    from workbench.features.labeling import ls_settings

    service = _compose()["services"]["labelstudio"]
    env = service["environment"]
    assert {k: env.get(k) for k in ls_settings.OFFLINE_ENV} == ls_settings.OFFLINE_ENV
    mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
    host = mounts[env["PYTHONPATH"]]
    assert (DEPLOY / host).resolve() == ls_settings.FOLDER
    assert (ls_settings.FOLDER / f"{env['DJANGO_SETTINGS_MODULE']}.py").is_file()
