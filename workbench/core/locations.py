"""What a source's location is (a URL or a file on this machine), whether the operator's policy lets a pipeline open
it, and how a location is shown without its password. The one place for these rules: sources, the Run page, runs'
files and logs use it.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from workbench.core.errors import Problem
from workbench.core.policy import OperatorPolicy, host_allowed, policy_setting

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".mov", ".m4v", ".webm", ".mpg", ".mpeg", ".ts", ".flv", ".wmv"})
_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^\s/:@]*):(?P<password>[^\s/@]+)@")


STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://")


def is_stream_url(text: str) -> bool:
    """An address a person may type as a live stream (the operator's policy still decides whether it opens)."""
    return text.strip().lower().startswith(STREAM_SCHEMES)


def is_url(location: str) -> bool:
    """A URL (scheme://...), as opposed to a path on this machine."""
    return "://" in location


def redact(url: str) -> str:
    """The URL without its password (rtsp://admin:secret@host -> rtsp://admin:***@host): safe for logs and events."""
    if not is_url(url):
        return url
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    except ValueError:  # a malformed port: hide everything between the scheme and the host
        return redact_text(url)
    return urlunsplit(parts._replace(netloc=netloc))


def redact_text(text: str) -> str:
    """Every `scheme://user:password@` in a text (a log line, an error detail) with the password replaced by ***."""
    return _CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


def has_password(url: str) -> bool:
    try:
        return is_url(url) and urlsplit(url).password is not None
    except ValueError:
        return bool(_CREDENTIALS.search(url))


def source_problems(location: str, node: str, field: str, policy: OperatorPolicy) -> list[Problem]:
    """Why a source may not open `location` here: a URL whose scheme or host the operator does not allow, or a
    local file that is not a video (FFmpeg would draw a text file's content as frames). Nothing when it may."""
    if not is_url(location):
        if Path(location).suffix.lower() not in VIDEO_SUFFIXES:
            return [Problem("source_not_video_file", node=node, field=field,
                            params={"path": location, "suffixes": " ".join(sorted(VIDEO_SUFFIXES))})]
        return []
    try:
        parts = urlsplit(location)
        host, port = (parts.hostname or ""), parts.port
    except ValueError:
        return [Problem("source_bad_url", node=node, field=field, params={"url": redact_text(location)})]
    scheme = parts.scheme.lower()
    if scheme not in {s.lower() for s in policy.stream_schemes}:
        return [Problem("source_scheme_not_in_policy", node=node, field=field, params={
            "scheme": scheme, "allowed": ", ".join(policy.stream_schemes) or "-",
            "setting": policy_setting("stream_schemes")})]
    if not host_allowed(host, port, policy.stream_hosts):
        return [Problem("source_host_not_in_policy", node=node, field=field, params={
            "host": host or "-", "allowed": ", ".join(policy.stream_hosts) or "-",
            "setting": policy_setting("stream_hosts")})]
    return []
