"""Who may do what: the one table of roles and permissions, the `Actor` doing something, and the checks.

Feature functions call `require(actor, Permission.X)` (and `require_district` where a district's key signs) at their
top, so a page that forgets to hide a button still cannot do what its user may not. `actor=None` means the
operating-system user running the process (the CLI, a worker): it may do everything the OS lets it, and is recorded
as `system:<login>`. The app always passes the signed-in user's actor. Decided in docs/decisions.md.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from enum import StrEnum

from workbench.core.errors import Problem, WorkbenchError
from workbench.core.i18n import Phrase, t


class Permission(StrEnum):
    """Something a person may be allowed to do; `ROLE_PERMISSIONS` says which roles have it."""

    VIEW = "view"  # pages, pipelines, runs, events, the registry's catalogue
    PIPELINES_EDIT = "pipelines.edit"
    RUNS_START = "runs.start"  # runs and their cancelling
    CAMERAS_START = "cameras.start"  # camera groups: start and stop
    REGISTRY_PULL = "registry.pull"
    CLIPS_EDIT = "clips.edit"  # clip library, labels, datasets
    TRAINING_START = "training.start"
    REGISTRY_PUBLISH = "registry.publish"
    MODELS_PROMOTE = "models.promote"
    KEYS_TRUST = "keys.trust"
    CASES_EDIT = "cases.edit"
    USERS_MANAGE = "users.manage"
    SETTINGS_EDIT = "settings.edit"
    AUDIT_READ = "audit.read"


ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": frozenset({Permission.VIEW}),
    "builder": frozenset({Permission.VIEW, Permission.PIPELINES_EDIT, Permission.RUNS_START, Permission.CAMERAS_START,
                          Permission.REGISTRY_PULL}),
    "trainer": frozenset({Permission.VIEW, Permission.CLIPS_EDIT, Permission.TRAINING_START}),
    "publisher": frozenset({Permission.VIEW, Permission.REGISTRY_PUBLISH, Permission.MODELS_PROMOTE,
                            Permission.KEYS_TRUST, Permission.REGISTRY_PULL}),
    "dispatcher": frozenset({Permission.VIEW, Permission.CASES_EDIT}),
    "admin": frozenset({Permission.VIEW, Permission.USERS_MANAGE, Permission.SETTINGS_EDIT, Permission.AUDIT_READ}),
}
ROLES = tuple(ROLE_PERMISSIONS)
SYSTEM_PREFIX = "system:"


@dataclass(frozen=True)
class Actor:
    """The person (or the OS user) an action is done for: name, district, roles. The OS user (`system`) acts for
    every district; an account without a district (None) signs for none."""

    name: str
    district: str | None
    roles: frozenset[str]
    system: bool = False

    def may(self, permission: Permission) -> bool:
        return self.system or any(permission in ROLE_PERMISSIONS.get(role, ()) for role in self.roles)


def os_login() -> str:
    """The login name of the process's real user id (not $USER, which anyone can set), else its number."""
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):  # no passwd entry for this uid (a container), or not POSIX
        return str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()


def system_actor() -> Actor:
    """The operating-system user running this process (CLI, background worker): every role, every district."""
    return Actor(f"{SYSTEM_PREFIX}{os_login()}", None, frozenset(ROLES), system=True)


def acting(actor: Actor | None) -> Actor:
    """`actor`, or the OS user when the caller knows no signed-in person."""
    return actor if actor is not None else system_actor()


def roles_with(permission: Permission) -> list[str]:
    return [role for role, granted in ROLE_PERMISSIONS.items() if permission in granted]


def role_label(role: str, lang: str | None = None) -> str:
    return t(f"role.{role}", lang)


def require(actor: Actor | None, permission: Permission) -> Actor:
    """The acting actor when it has `permission`; else `access_denied` naming the permission and the roles having it."""
    actor = acting(actor)
    if actor.may(permission):
        return actor
    roles = roles_with(permission)
    raise WorkbenchError([Problem("access_denied", field=str(permission), params={
        "user": actor.name, "permission": Phrase(f"permission.{permission}"),
        "roles": Phrase(*(f"role.{r}" for r in roles))})])


def require_district(actor: Actor | None, district: str) -> Actor:
    """The acting actor when it belongs to `district` (the OS user belongs to all); else `access_wrong_district`."""
    actor = acting(actor)
    if actor.system or actor.district == district:
        return actor
    raise WorkbenchError([Problem("access_wrong_district", field="district", params={
        "user": actor.name, "own": actor.district or "-", "district": district})])


def check_roles(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """The roles as a set; `unknown_role` for a name not in the table."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise WorkbenchError([Problem("unknown_role", field="roles", params={
            "role": ", ".join(unknown), "roles": ", ".join(ROLES)})])
    return frozenset(roles)
