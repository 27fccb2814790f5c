"""Connect to a Label Studio server (URL + token from arguments, env or the local server started by the workbench)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from workbench.core.errors import Problem, WorkbenchError

ENV_URL, ENV_TOKEN = "LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY"


@dataclass(frozen=True)
class Connection:
    """Where the server is and the token to use; `token_source` says where the token came from (never the token)."""

    url: str
    token: str
    token_source: str

    def __repr__(self) -> str:  # keep the token out of logs and tracebacks
        return f"Connection(url={self.url!r}, token_source={self.token_source!r})"


def _fail(code: str, /, **params: object) -> WorkbenchError:
    return WorkbenchError([Problem(code, node="labelstudio", params=params)])


def resolve_url(url: str | None = None) -> str:
    """The argument, else LABEL_STUDIO_URL, else the URL of the server `workbench labelstudio start` runs."""
    from workbench.features.labeling.server import local_server_info

    local = local_server_info()
    url = url or os.environ.get(ENV_URL, "").strip() or (local.url if local else "")
    if not url:
        raise _fail("labelstudio_no_url")
    return url.rstrip("/")


def resolve_connection(url: str | None = None, token: str | None = None) -> Connection:
    """Arguments, then LABEL_STUDIO_URL / LABEL_STUDIO_API_KEY, then the server `workbench labelstudio start` runs."""
    from workbench.features.labeling.server import local_server_info

    url = resolve_url(url)
    local = local_server_info()
    if token:
        source = "argument"
    elif os.environ.get(ENV_TOKEN, "").strip():
        token, source = os.environ[ENV_TOKEN].strip(), ENV_TOKEN
    elif local and local.url.rstrip("/") == url.rstrip("/") and local.token_file.exists():
        token, source = local.token_file.read_text(encoding="utf-8").strip(), str(local.token_file)
    else:
        raise _fail("labelstudio_no_token", url=url)
    return Connection(url=url.rstrip("/"), token=token, token_source=source)


def connect(url: str | None = None, token: str | None = None, timeout: float = 30.0) -> LabelStudio:
    """A checked client: the server answers and accepts the token, else a clear problem (unreachable / wrong token)."""
    conn = resolve_connection(url, token)
    client = LabelStudio(base_url=conn.url, api_key=conn.token, timeout=timeout, max_retries=0)
    check(client, conn)
    return client


def check(client: LabelStudio, conn: Connection) -> None:
    """Ask the server who we are; translate network and auth failures into problems naming the URL."""
    try:
        client.users.whoami()
    except httpx.TransportError as exc:
        raise _fail("labelstudio_unreachable", url=conn.url, detail=type(exc).__name__) from exc
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise _fail("labelstudio_bad_token", url=conn.url, source=conn.token_source) from exc
        raise _fail("labelstudio_not_a_server", url=conn.url, status=exc.status_code) from exc
    except ValueError as exc:  # a non-JSON answer: something else listens on that address
        raise _fail("labelstudio_not_a_server", url=conn.url, status="?") from exc
