"""Helpers for the gateway's end-to-end tests (imported, not a pytest
conftest): HTTP clients bound to a gateway and small resource factories."""
from __future__ import annotations

import asyncio
import contextlib
import uuid

import grpc
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


@contextlib.asynccontextmanager
async def gateway_before(add_servicer, servicer, address_field: str, **settings):
    """The gateway (uvicorn on a free port, in this process) in front of a
    real gRPC server of `servicer`, whose address goes in settings field
    `address_field`; every other service points at nothing unless `settings`
    says otherwise. Yields (an HTTP client of the gateway, the gateway)."""
    import uvicorn

    from cluster.local import free_port
    from gateway.app import Gateway
    from gateway.config import GatewaySettings
    from runtime import tracing

    tracing.setup("gateway-tests")
    server = grpc.aio.server()
    add_servicer(servicer, server)
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    nowhere = f"127.0.0.1:{free_port()}"
    addresses = {f: nowhere for f in ("vpc_addr", "port_addr", "dpm_addr", "ip_addr", "mac_addr")}
    gw = Gateway(GatewaySettings(**{**addresses, address_field: f"127.0.0.1:{grpc_port}",
                                    "rpc_timeout": 30.0, **settings}))
    await gw.start()
    port = free_port()
    web = uvicorn.Server(uvicorn.Config(gw, host="127.0.0.1", port=port, lifespan="off",
                                        http="httptools", log_level="warning"))
    task = asyncio.create_task(web.serve())
    while not web.started:
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30,
                                     limits=httpx.Limits(max_connections=100)) as http:
            yield http, gw
    finally:
        web.should_exit = True
        await task
        await gw.close()
        await server.stop(0)
