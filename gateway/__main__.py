"""python -m gateway: the Neutron v2.0 REST gateway on uvicorn (uvloop,
httptools). Listens on --listen / ALCOR_LISTEN, else ALCOR_GATEWAY_ADDR."""
from __future__ import annotations

import sys

import uvicorn
import uvloop

from gateway.app import Gateway
from gateway.config import GatewaySettings
from runtime import collector, tracing
from runtime.server import configure_logging


async def serve(settings: GatewaySettings) -> None:
    # Routes are compiled before anything listens: a bad annotation fails here.
    gateway = Gateway(settings)
    await gateway.start()
    collector.tune()
    host, port = (settings.listen or settings.gateway_addr).rsplit(":", 1)
    config = uvicorn.Config(
        gateway, host=host.strip("[]"), port=int(port), loop="none", http="httptools",
        lifespan="off", access_log=False, log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=settings.grace_seconds, backlog=4096,
        server_header=False, date_header=False, proxy_headers=False,
    )
    server = uvicorn.Server(config)
    try:
        await server.serve()
    finally:
        await gateway.close()


def main(argv: list[str] | None = None) -> None:
    settings = GatewaySettings.from_env(sys.argv[1:] if argv is None else argv)
    configure_logging(settings, "gateway")
    tracing.setup("gateway")
    uvloop.run(serve(settings))


if __name__ == "__main__":
    main()
