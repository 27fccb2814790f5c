"""Per-camera FFmpeg capture options (the RTSP transport) for OpenCV, which only takes them from the environment.

OpenCV's FFmpeg backend reads OPENCV_FFMPEG_CAPTURE_OPTIONS ("key;value|key;value") at every open (checked on 4.12:
udp, tcp, udp in turn in one process against a TCP-only server fail, connect, fail). When the variable is unset it
uses `rtsp_flags;prefer_tcp` (TCP first, UDP if refused); when it is set, FFmpeg's own default: UDP first, and TCP
only after a UDP timeout that FFmpeg 5 does not have unless its `timeout` option is set.

The environment is one per process while `workbench serve` opens many cameras from threads at once, so the variable
is set only inside `capture_options()`, under one process-wide gate: opens that need the same value run together
(an open can wait seconds for a dead camera, so they must not queue behind each other), an open that needs another
value waits until they are done, and the last one out puts the user's own value back. The user's options are kept;
the camera's transport replaces theirs. `auto` keeps TCP first (see `merged`) and a transport the user chose.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Literal

ENV = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
Transport = Literal["auto", "tcp", "udp"]


def merged(user: str | None, transport: Transport) -> str | None:
    """The options string for one camera: the user's options with `rtsp_transport` set to `transport`.

    `auto` is TCP first, UDP if the camera refuses TCP (OpenCV's own default): when the user's options name no
    transport, `rtsp_flags;prefer_tcp` is added, because FFmpeg's default then tries UDP first and, without its
    `timeout` option, never falls back to TCP behind a firewall that drops UDP (measured: no frame at all).
    """
    pairs = [p for p in (user or "").split("|") if p]
    if transport == "auto":
        if user is None or {p.split(";", 1)[0] for p in pairs} & {"rtsp_transport", "rtsp_flags"}:
            return user
        return "|".join([*pairs, "rtsp_flags;prefer_tcp"])
    return "|".join([*[p for p in pairs if p.split(";", 1)[0] != "rtsp_transport"], f"rtsp_transport;{transport}"])


def _set(value: str | None) -> None:
    if value is None:
        os.environ.pop(ENV, None)
    else:
        os.environ[ENV] = value


class _Gate:
    """Lets opens that need the same environment value in together; one that needs another waits for them to finish.

    Newcomers do not join a running group while an open with another value waits, so neither side starves.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._users = 0
        self._value: str | None = None  # the value set while _users > 0
        self._user_value: str | None = None  # the user's own value, put back when the last user leaves
        self._waiting: Counter[Transport] = Counter()

    def _may_enter(self, transport: Transport) -> bool:
        if not self._users:
            return True
        wanted = merged(self._user_value, transport)
        others = sum(n for tr, n in self._waiting.items() if merged(self._user_value, tr) != wanted)
        return wanted == self._value and not others

    @contextmanager
    def hold(self, transport: Transport) -> Iterator[str | None]:
        """Set the environment for `transport` for the duration of the block (shared with same-value opens)."""
        with self._cond:
            self._waiting[transport] += 1
            try:
                self._cond.wait_for(lambda: self._may_enter(transport))
            finally:
                self._waiting[transport] -= 1
            if not self._users:
                self._user_value = os.environ.get(ENV)
                self._value = merged(self._user_value, transport)
                _set(self._value)
            self._users += 1
            value = self._value
        try:
            yield value
        finally:
            with self._cond:
                self._users -= 1
                if not self._users:
                    _set(self._user_value)
                self._cond.notify_all()


_GATE = _Gate()


def capture_options(transport: Transport) -> AbstractContextManager[str | None]:
    """Hold the process-wide gate with OPENCV_FFMPEG_CAPTURE_OPTIONS set for `transport`; yields the value in force.

    Open the `cv2.VideoCapture` of an rtsp:// URL inside the block; nothing else should change the variable meanwhile.
    """
    return _GATE.hold(transport)
