"""Configuration as a dataclass with defaults, overridable from the
environment (ALCOR_<FIELD>) and from --flags of the same name."""
from __future__ import annotations

import argparse
import dataclasses
import os
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Settings:
    # Where etcd and every service listen. The defaults are the local cluster's.
    etcd: str = "127.0.0.1:2379"
    # Operations the etcd allows in one transaction (its --max-txn-ops, 128 by
    # default). Read from the environment once, at start (runtime.store).
    etcd_max_txn_ops: int = 128
    vpc_addr: str = "127.0.0.1:50051"
    ip_addr: str = "127.0.0.1:50052"
    mac_addr: str = "127.0.0.1:50053"
    port_addr: str = "127.0.0.1:50054"
    dpm_addr: str = "127.0.0.1:50055"
    gateway_addr: str = "127.0.0.1:9696"
    # This process's own listen address; empty means "the address of my service".
    listen: str = ""
    # VXLAN network identifiers handed to VPCs (24 bits at most).
    vni_min: int = 1000
    vni_max: int = 16_000_000
    # Locally administered unicast OUI for allocated MACs (Neutron's default).
    mac_oui: str = "fa:16:3e"
    # VXLAN over a 1500-byte underlay leaves 1450 for the overlay.
    default_mtu: int = 1450
    log_level: str = "INFO"
    # How long SIGTERM waits for in-flight calls before cutting them.
    grace_seconds: float = 5.0
    # Deadline for service-to-service calls that arrive without one.
    rpc_timeout: float = 30.0
    # Project used when a request names none (gRPC callers, no-auth REST).
    default_project: str = "default"

    @classmethod
    def from_env(cls, argv: list[str] | None = None, **overrides) -> "Settings":
        values: dict = {}
        for f in fields(cls):
            raw = os.environ.get("ALCOR_" + f.name.upper())
            if raw is not None:
                values[f.name] = _cast(f, raw)
        if argv is not None:
            parser = argparse.ArgumentParser()
            for f in fields(cls):
                parser.add_argument("--" + f.name.replace("_", "-"), dest=f.name, default=None)
            ns, _ = parser.parse_known_args(argv)
            for f in fields(cls):
                raw = getattr(ns, f.name)
                if raw is not None:
                    values[f.name] = _cast(f, raw)
        values.update(overrides)
        return cls(**values)

    def with_(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


def _cast(f: dataclasses.Field, raw: str):
    if f.type in ("int", int):
        return int(raw)
    if f.type in ("float", float):
        return float(raw)
    if f.type in ("bool", bool):
        return raw.lower() in ("1", "true", "yes", "on")
    return raw
