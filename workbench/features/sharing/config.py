"""Where the shared registry is, from the environment, and the store that reaches it.

    WORKBENCH_REGISTRY_URL        s3://BUCKET, or a folder (path or file:///path); default <workbench home>/registry
    WORKBENCH_REGISTRY_ENDPOINT   for s3://: http(s)://host:port of the S3 server (MinIO, SeaweedFS, AWS)
    WORKBENCH_REGISTRY_ACCESS_KEY / WORKBENCH_REGISTRY_SECRET_KEY   this district's S3 credentials
    WORKBENCH_REGISTRY_REGION     optional, default us-east-1
    WORKBENCH_REGISTRY_DISTRICT   this machine's district (default "local"): it may write only under <district>/
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from workbench.core.paths import workbench_home
from workbench.features.sharing.local_store import LocalStore
from workbench.features.sharing.s3_store import S3Store
from workbench.features.sharing.store import (
    ACCESS_SETTING,
    DISTRICT_SETTING,
    ENDPOINT_SETTING,
    SECRET_SETTING,
    URL_SETTING,
    RegistryStore,
    StoreError,
)

REGION_SETTING = "WORKBENCH_REGISTRY_REGION"
DEFAULT_DISTRICT = "local"
DISTRICT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True)
class RegistrySettings:
    """The registry settings as read; `secret_key` is left out of repr."""

    kind: str  # "local" | "s3"
    district: str
    folder: Path | None = None
    bucket: str | None = None
    endpoint: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)
    region: str = "us-east-1"


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _s3_settings(env: Mapping[str, str], url: str, district: str) -> RegistrySettings:
    parts = urlsplit(url)
    bucket = parts.netloc
    if not BUCKET_PATTERN.match(bucket) or parts.path.strip("/") or parts.query:
        raise StoreError("registry_bad_url", field=URL_SETTING, value=url)
    endpoint = _get(env, ENDPOINT_SETTING)
    if not endpoint:
        raise StoreError("registry_setting_missing", field=ENDPOINT_SETTING, setting=ENDPOINT_SETTING, url=url)
    ep = urlsplit(endpoint)
    if ep.scheme not in ("http", "https") or not ep.hostname or ep.path.strip("/") or ep.query:
        raise StoreError("registry_bad_endpoint", field=ENDPOINT_SETTING, value=endpoint)
    for name in (ACCESS_SETTING, SECRET_SETTING):
        if not _get(env, name):
            raise StoreError("registry_setting_missing", field=name, setting=name, url=url)
    return RegistrySettings("s3", district, bucket=bucket, endpoint=f"{ep.scheme}://{ep.netloc}",
                            access_key=_get(env, ACCESS_SETTING), secret_key=_get(env, SECRET_SETTING),
                            region=_get(env, REGION_SETTING) or "us-east-1")


def registry_settings(env: Mapping[str, str] | None = None, district: str | None = None) -> RegistrySettings:
    """Read and check the settings; a wrong one is a StoreError naming the setting and how to fix it.

    `district` (a command's --district) replaces WORKBENCH_REGISTRY_DISTRICT: a folder registry then lets this
    command write under it; an S3 registry still decides by the credentials."""
    env = os.environ if env is None else env
    if district is not None:
        if not DISTRICT_PATTERN.match(district):
            raise StoreError("registry_bad_district_option", field="district", value=district)
    else:
        district = _get(env, DISTRICT_SETTING) or DEFAULT_DISTRICT
        if not DISTRICT_PATTERN.match(district):
            raise StoreError("registry_bad_district", field=DISTRICT_SETTING, value=district)
    url = _get(env, URL_SETTING)
    if not url:
        return RegistrySettings("local", district, folder=workbench_home() / "registry")
    scheme = urlsplit(url).scheme.lower()
    if scheme == "s3":
        return _s3_settings(env, url, district)
    if scheme == "file":
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or not parts.path:
            raise StoreError("registry_bad_url", field=URL_SETTING, value=url)
        return RegistrySettings("local", district, folder=Path(unquote(parts.path)))
    if scheme and len(scheme) > 1:  # http://, minio://, ... (a one-letter scheme is a Windows drive, C:\...)
        raise StoreError("registry_bad_url", field=URL_SETTING, value=url)
    return RegistrySettings("local", district, folder=Path(url).expanduser().resolve())


def open_store(settings: RegistrySettings | None = None) -> RegistryStore:
    """The store the settings name (no network access yet: errors show on first use)."""
    s = settings or registry_settings()
    if s.kind == "s3":
        return S3Store(s.endpoint or "", s.bucket or "", s.access_key or "", s.secret_key or "", region=s.region)
    return LocalStore(s.folder or workbench_home() / "registry", district=s.district)
