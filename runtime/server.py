"""Server bootstrap shared by every service: a grpc.aio server with the
service's servicers, grpc.health.v1 (SERVING only while etcd answers), server
reflection, one interceptor for context/tracing/error mapping, and a graceful
SIGTERM that drains in-flight calls."""
from __future__ import annotations

import asyncio
import logging
import os
import signal
from dataclasses import dataclass
from typing import Awaitable, Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from runtime import collector, tracing
from runtime.config import Settings
from runtime.interceptors import ServerInterceptor
from runtime.store import Store

log = logging.getLogger("alcor.server")

# register(server, store, settings) adds the servicers and returns the full
# names of the gRPC services it added (for health and reflection), plus an
# optional list of background coroutines to run while serving.
Register = Callable[[grpc.aio.Server, Store, Settings], Awaitable["Registration"]]


@dataclass
class Registration:
    services: list[str]
    background: list[Callable[[], Awaitable[None]]] | None = None
    on_stop: list[Callable[[], Awaitable[None]]] | None = None


SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 256 * 1024 * 1024),
    ("grpc.so_reuseport", 0),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 5000),
]


def configure_logging(settings: Settings, name: str) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format=f"%(asctime)s {name} %(levelname)s %(name)s: %(message)s",
    )


async def _watch_etcd(store: Store, health_servicer, names: list[str], stop: asyncio.Event):
    """Health follows etcd: SERVING only while it answers."""
    serving = None
    while not stop.is_set():
        ok = await store.ready()
        if ok != serving:
            status = (
                health_pb2.HealthCheckResponse.SERVING
                if ok
                else health_pb2.HealthCheckResponse.NOT_SERVING
            )
            for n in ["", *names]:
                await health_servicer.set(n, status)
            log.info("etcd %s: %s", store.endpoint, "SERVING" if ok else "NOT_SERVING")
            serving = ok
        try:
            await asyncio.wait_for(stop.wait(), timeout=1.0 if ok else 0.2)
        except asyncio.TimeoutError:
            pass


async def serve(name: str, default_addr: str, register: Register, settings: Settings) -> None:
    configure_logging(settings, name)
    tracing.setup(name)
    listen = settings.listen or default_addr
    store = Store(settings.etcd)
    server = grpc.aio.server(interceptors=[ServerInterceptor()], options=SERVER_OPTIONS)
    reg = await register(server, store, settings)

    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for n in ["", *reg.services]:
        await health_servicer.set(n, health_pb2.HealthCheckResponse.NOT_SERVING)
    reflection.enable_server_reflection(
        [*reg.services, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
         reflection.SERVICE_NAME],
        server,
    )
    port = server.add_insecure_port(listen)
    if port == 0:
        raise SystemExit(f"{name}: cannot listen on {listen}")
    await server.start()
    collector.tune()
    log.info("%s listening on %s", name, listen)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = [asyncio.create_task(_watch_etcd(store, health_servicer, reg.services, stop))]
    tasks += [asyncio.create_task(bg()) for bg in (reg.background or [])]

    await stop.wait()
    log.info("%s draining (grace %.1fs)", name, settings.grace_seconds)
    await health_servicer.enter_graceful_shutdown()
    await server.stop(settings.grace_seconds)
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for hook in reg.on_stop or []:
        await hook()
    await store.close()
    log.info("%s stopped", name)


def run(name: str, default_addr_field: str, register: Register, argv: list[str] | None = None):
    """Entry point for `python -m svc_xxx`."""
    import sys

    settings = Settings.from_env(sys.argv[1:] if argv is None else argv)
    if os.environ.get("ALCOR_UVLOOP", "1") != "0":
        import uvloop

        uvloop.install()
    asyncio.run(serve(name, getattr(settings, default_addr_field), register, settings))
