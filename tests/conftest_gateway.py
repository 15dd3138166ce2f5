"""Helpers for the gateway's end-to-end tests (imported, not a pytest
conftest): HTTP clients bound to a gateway and small resource factories."""
from __future__ import annotations

import uuid

import httpx


def client(base_url: str, *, project: str | None = None, roles: str | None = None,
           token: str | None = None) -> httpx.Client:
    headers = {}
    if project:
        headers["X-Project-Id"] = project
    if roles:
        headers["X-Roles"] = roles
    if token:
        headers["X-Auth-Token"] = token
    return httpx.Client(base_url=base_url, headers=headers, timeout=60.0)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create(c: httpx.Client, collection: str, singular: str, **attrs) -> dict:
    r = c.post(f"/v2.0/{collection}", json={singular: attrs})
    assert r.status_code == 201, r.text
    return r.json()[singular]


def network(c: httpx.Client, **attrs) -> dict:
    attrs.setdefault("name", unique("net"))
    return create(c, "networks", "network", **attrs)


def subnet(c: httpx.Client, network_id: str, cidr: str, **attrs) -> dict:
    attrs.setdefault("ip_version", 6 if ":" in cidr else 4)
    return create(c, "subnets", "subnet", network_id=network_id, cidr=cidr, **attrs)


def assert_neutron_error(r: httpx.Response, status: int, type_: str | None = None) -> dict:
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) == {"NeutronError"}, body
    err = body["NeutronError"]
    assert set(err) == {"type", "message", "detail"} and err["message"], err
    if type_ is not None:
        assert err["type"] == type_, err
    return err
