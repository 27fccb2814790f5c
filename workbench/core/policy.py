"""The operator's policy: what any pipeline may reach on this machine, whoever wrote or published it.

A pipeline is data that may come from another district. What it names outside its run folder (webhook hosts, stream
hosts and schemes, server files, environment variables, folders to write) must lie inside what this file allows; a
pipeline's own settings (such as a webhook's `allowed_hosts`) may only narrow it. The file is
`$WORKBENCH_POLICY` or `<workbench home>/policy.yaml`; with no file the defaults below hold. Every refusal names the
node, the field and the policy setting the operator would change (docs/security.md).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.paths import workbench_home

POLICY_ENV = "WORKBENCH_POLICY"
FOOTAGE_DIRS_ENV = "WORKBENCH_FOOTAGE_DIRS"


class OperatorPolicy(BaseModel):
    """What pipelines may reach on this machine. Defaults: no webhook host, no environment variable, streams over
    rtsp/rtsps/http/https to any host, server files only in the footage folders, writes only in run folders."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    webhook_hosts: tuple[str, ...] = Field(
        (), description="Hosts a webhook may post to: a name or address, optionally :port; '*.city.gov' matches its "
                        "sub-domains; an address block such as 10.20.0.0/16. Empty: no webhook may post anywhere")
    webhook_header_env: tuple[str, ...] = Field(
        (), description="Environment variables a webhook header may read (headers_env); '*' patterns allowed, e.g. "
                        "WEBHOOK_*. Empty: none")
    stream_schemes: tuple[str, ...] = Field(
        ("rtsp", "rtsps", "http", "https"), description="URL schemes a stream source may open")
    stream_hosts: tuple[str, ...] = Field(
        ("*",), description="Hosts a stream URL may name (same forms as webhook_hosts); '*' = any host")
    footage_dirs: tuple[Path, ...] = Field(
        (), description="Server folders whose video files pipelines and the app may open (plus "
                        "WORKBENCH_FOOTAGE_DIRS and the workbench home's demo, uploads and clips folders)")
    write_dirs: tuple[Path, ...] = Field(
        (), description="Folders outside a run folder that a sink may write into (e.g. a shared work-order "
                        "database); a run's own folder is always allowed")


def policy_path() -> Path:
    configured = os.environ.get(POLICY_ENV, "").strip()
    return Path(configured).expanduser() if configured else workbench_home() / "policy.yaml"


def operator_policy() -> OperatorPolicy:
    """The policy in force (read on every call: an operator's edit applies to the next run); a broken file is a
    problem naming its setting, never a silently wider default."""
    path = policy_path()
    if not path.is_file():
        return OperatorPolicy()
    try:
        from workbench.core.safe_yaml import load_yaml_text

        data = load_yaml_text(path.read_text(encoding="utf-8"), origin=str(path)) or {}
        return OperatorPolicy.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise WorkbenchError([Problem("policy_invalid", field=".".join(str(p) for p in err["loc"]),
                                      params={"path": str(path), "detail": err["msg"]})]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkbenchError([Problem("policy_invalid", params={"path": str(path), "detail": str(exc)})]) from None


def host_allowed(host: str, port: int | None, patterns: tuple[str, ...] | list[str]) -> bool:
    """Does `host` (with `port`) match one of `patterns`: '*', a name or address (optionally ':port'), '*.domain',
    or an address block 'a.b.c.d/n'? Names compare case-insensitively."""
    host = (host or "").strip("[]").lower()
    if not host:
        return False
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern == "*":
            return True
        if "/" in pattern:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(pattern, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name, _, want_port = pattern.rpartition(":") if _has_port(pattern) else (pattern, "", "")
        if want_port and str(port or "") != want_port:
            continue
        if name.startswith("*.") and host.endswith(name[1:]) and host != name[2:]:
            return True
        if host == name.strip("[]"):
            return True
    return False


def _has_port(pattern: str) -> bool:
    head, sep, tail = pattern.rpartition(":")
    return bool(sep) and tail.isdigit() and head.count(":") == 0


def env_allowed(name: str, patterns: tuple[str, ...] | list[str]) -> bool:
    """May a webhook header read environment variable `name`?"""
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def policy_setting(name: str) -> str:
    """How a message names a setting: `webhook_hosts in /path/policy.yaml`."""
    return f"{name} ({policy_path()})"
