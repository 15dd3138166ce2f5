"""Who is calling: the project and roles every backend call carries.

Two modes, chosen at start-up:

Token mode (ALCOR_TOKEN_FILE / --token-file names a JSON file):

    {"tokens": {
        "s3cret-admin": {"project_id": "ops", "roles": ["admin"]},
        "s3cret-alice": {"project_id": "alice", "roles": ["member"]}
    }}

  Every request but GET / (version discovery) and GET /openapi.json must
  carry a listed X-Auth-Token, else 401. X-Project-Id / X-Roles headers are
  ignored: the token decides. Use `openstack --os-auth-type admin_token
  --os-token s3cret-alice --os-endpoint http://HOST:9696` (admin_token skips
  discovery and appends v2.0 itself). The file is read at start-up and
  re-read when its modification time changes.

No-auth mode (no token file; the local cluster's default): the caller is
trusted, like Neutron with auth_strategy=noauth behind keystonemiddleware's
headers. X-Project-Id (optionally with X-Roles, comma-separated, default
"member") makes the caller that project; without X-Project-Id the caller is
an admin of the default project (Settings.default_project), which is what an
operator typing `openstack --os-auth-type none ... network list` expects: to
see everything. X-Auth-Token is ignored.

Either way a project sees and touches only its own resources (the services
enforce it: another project's resource answers 404), and an admin sees all.
"""
from __future__ import annotations

import json
import logging
import os
import re
import time
from dataclasses import dataclass

from gateway.errors import HttpError, bad_request

log = logging.getLogger("alcor.gateway")

_PROJECT = re.compile(r"^[A-Za-z0-9_.:@-]{1,255}$")
_ROLE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class Principal:
    project_id: str
    roles: tuple[str, ...]


def _roles(raw: str, where: str) -> tuple[str, ...]:
    roles = tuple(r.strip() for r in raw.split(",") if r.strip())
    if not roles or not all(_ROLE.match(r) for r in roles):
        raise ValueError(f"{where}: roles must be a non-empty list of role names")
    return roles


def parse_token_file(text: str) -> dict[str, Principal]:
    doc = json.loads(text)
    tokens = doc.get("tokens") if isinstance(doc, dict) else None
    if not isinstance(tokens, dict):
        raise ValueError('token file: expected {"tokens": {"<token>": {...}}}')
    out = {}
    for token, entry in tokens.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("project_id"), str) \
                or not _PROJECT.match(entry["project_id"]):
            raise ValueError("token file: every token needs a valid project_id")
        roles = entry.get("roles", ["member"])
        if isinstance(roles, str):
            roles = roles.split(",")
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
            raise ValueError("token file: roles must be a list of strings")
        out[token] = Principal(entry["project_id"], _roles(",".join(roles), "token file"))
    return out


class Authenticator:
    def __init__(self, token_file: str, default_project: str):
        self.token_file = token_file
        self.default_project = default_project
        self._admin = Principal(default_project, ("admin",))
        self._tokens: dict[str, Principal] = {}
        self._mtime = 0.0
        self._checked = 0.0
        if token_file:
            self._reload(initial=True)

    @property
    def token_mode(self) -> bool:
        return bool(self.token_file)

    def _reload(self, initial: bool = False) -> None:
        try:
            mtime = os.stat(self.token_file).st_mtime
            if mtime == self._mtime:
                return
            with open(self.token_file, encoding="utf-8") as f:
                tokens = parse_token_file(f.read())
        except (OSError, ValueError) as e:
            if initial:
                raise SystemExit(f"gateway: cannot use token file {self.token_file}: {e}") from None
            log.error("token file %s: %s; keeping the previous tokens", self.token_file, e)
            return
        self._tokens, self._mtime = tokens, mtime
        log.info("loaded %d tokens from %s", len(tokens), self.token_file)

    def check_reload(self) -> None:
        """Re-reads the token file if it changed; stats it at most once a second."""
        if self.token_file:
            now = time.monotonic()
            if now - self._checked >= 1.0:
                self._checked = now
                self._reload()

    def authenticate(self, headers: dict[str, str]) -> Principal:
        if self.token_file:
            principal = self._tokens.get(headers.get("x-auth-token", ""))
            if principal is None:
                raise HttpError(401, "Unauthorized",
                                "The request you have made requires authentication.",
                                headers={"www-authenticate": 'Keystone uri="local"'})
            return principal
        project = headers.get("x-project-id") or headers.get("x-tenant-id")
        if not project:
            return self._admin
        if not _PROJECT.match(project):
            raise bad_request("X-Project-Id is not a valid project id.")
        raw_roles = headers.get("x-roles")
        try:
            roles = _roles(raw_roles, "X-Roles") if raw_roles else ("member",)
        except ValueError as e:
            raise bad_request(str(e)) from None
        return Principal(project, roles)
