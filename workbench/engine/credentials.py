"""Credentials a pipeline may carry (a password in a stream URL, a secret-looking HTTP header) and how they are kept
out of what leaves the machine or gets shown: refused at publish, redacted in run files and logs.

Block-agnostic: every setting of every node is walked, so a plugin's URL or header field is covered too.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from workbench.core.errors import Problem
from workbench.core.locations import has_password, redact_text
from workbench.engine.spec import PipelineSpec

SECRET_NAME = re.compile(r"auth|token|key|secret|passw|cookie|session|signature|credential", re.IGNORECASE)
HIDDEN = "***"


def _walk(value: Any, path: str) -> Iterator[tuple[str, Any, str | None]]:
    """(field path, value, name of the mapping key holding it) for every leaf of a node's config."""
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(item, (dict, list, tuple)):
                yield from _walk(item, child)
            else:
                yield child, item, str(key)
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _walk(item, f"{path}.{i}")
    else:
        yield path, value, None


def credential_problems(spec: PipelineSpec) -> list[Problem]:
    """One problem per credential the pipeline carries in plain text, naming node and field and how to keep it local:
    camera passwords belong in the cameras file or the site's own settings, header secrets in `headers_env`."""
    problems = []
    for node in spec.nodes:
        for field, value, key in _walk(node.config, ""):
            if not isinstance(value, str) or not value:
                continue
            if has_password(value):
                problems.append(Problem("credential_in_url", node=node.id, field=field))
            elif key and SECRET_NAME.search(key) and _looks_like_header_value(key) and not _is_env_reference(field):
                problems.append(Problem("credential_in_header", node=node.id, field=field, params={"name": key}))
    return problems


def _is_env_reference(field: str) -> bool:
    """`headers_env.Authorization` names an environment variable, not a secret."""
    return field.split(".")[0].endswith("_env")


def redacted(value: Any, key: str | None = None) -> Any:
    """A copy of a pipeline (or any JSON-like value) with URL passwords and secret-looking header values hidden
    (the values under a `…_env` setting name environment variables, not secrets: they stay)."""
    if isinstance(value, dict):
        if key is not None and key.endswith("_env"):
            return {k: redact_text(v) if isinstance(v, str) else redacted(v) for k, v in value.items()}
        return {k: redacted(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redacted(v) for v in value)
    if isinstance(value, str):
        if key is not None and SECRET_NAME.search(key) and value and not key.endswith("_env"):
            return HIDDEN if _looks_like_header_value(key) else redact_text(value)
        return redact_text(value)
    return value


def _looks_like_header_value(key: str) -> bool:
    """Header-style names (Authorization, X-Api-Key) hide their whole value; a setting such as `key_frames` does not
    match because setting names use underscores and lowercase only."""
    return key[:1].isupper() or "-" in key


@contextmanager
def redacted_output() -> Iterator[None]:
    """Everything this process writes to stdout and stderr (Python, FFmpeg, OpenCV alike) passes through
    `redact_text` on its way to where they pointed (a job's log file), line by line."""
    import sys

    target = os.dup(1)
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    os.dup2(write_end, 1)
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump() -> None:
        pending = b""
        with os.fdopen(read_end, "rb", buffering=0) as source:
            while chunk := source.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    os.write(target, redact_text(line.decode("utf-8", "replace")).encode() + b"\n")
                if len(pending) > 65536:  # no newline for long (a progress bar redrawn with \r): pass it on
                    os.write(target, redact_text(pending.decode("utf-8", "replace")).encode())
                    pending = b""
        if pending:
            os.write(target, redact_text(pending.decode("utf-8", "replace")).encode())
        os.close(target)

    thread = threading.Thread(target=pump, name="redacted-output", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)  # the pipe's last writers close: the pump sees the end and drains
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
        thread.join(timeout=10)
