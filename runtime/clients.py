"""Channels to other services: long-lived, with gRPC's own retry policy for
UNAVAILABLE (safe: the call did not reach a servicer, or the servicer says it
did nothing), context-forwarding interceptors and a default deadline; and
`call`, which turns a downstream failure back into the domain error it carried."""
from __future__ import annotations

import json
from typing import Awaitable, TypeVar

import grpc

from runtime.errors import from_rpc_error
from runtime.interceptors import StreamClientInterceptor, UnaryClientInterceptor

T = TypeVar("T")

RETRY_SERVICE_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 5,
                    "initialBackoff": "0.05s",
                    "maxBackoff": "1s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)

CHANNEL_OPTIONS = [
    ("grpc.service_config", RETRY_SERVICE_CONFIG),
    ("grpc.enable_retries", 1),
    ("grpc.max_receive_message_length", 256 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
    ("grpc.keepalive_time_ms", 20000),
    ("grpc.keepalive_timeout_ms", 10000),
]


def channel(address: str, default_timeout: float = 30.0) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        options=CHANNEL_OPTIONS,
        interceptors=[UnaryClientInterceptor(default_timeout), StreamClientInterceptor()],
    )


async def call(awaitable: Awaitable[T]) -> T:
    """Awaits a stub call; a failure becomes the domain error it carried."""
    try:
        return await awaitable
    except grpc.aio.AioRpcError as e:
        raise from_rpc_error(e) from None
