"""Debian packages a test needs, installed with apt-get when missing (CI runs as root on a fresh Debian machine)."""

from __future__ import annotations

import os
import subprocess


def apt_install(*packages: str) -> None:
    """`apt-get update` then install `packages`; raises CalledProcessError (its stderr says why) when that fails."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True)
    subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", *packages], check=True, env=env,
                   capture_output=True)
