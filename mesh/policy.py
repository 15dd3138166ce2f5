"""The mesh's traffic policy, read from its one source: the Helm chart's
values (helm/alcor/values.yaml: each service's port and canary, and the
`policy` section). The chart's Istio templates read the same values, and the
local Envoy configuration (mesh/envoy.py) is generated from what this module
computes, so the two cannot drift apart without tests/test_mesh_policy.py
noticing.

What a service's routes are, in order (first match wins, Istio and Envoy alike):
  long-lived-*   streams that live as long as their client: no timeout, no retries
  unsafe-keyed   calls that create or change state and carry the idempotency
                 key: retried like any other call
  unsafe         the same calls without the key: retried only on failures that
                 prove the request never reached a servicer
  default        everything else: timeout, retries with a per-try timeout
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "alcor"
VALUES = CHART / "values.yaml"

STABLE, CANARY = "stable", "canary"


def merge(base: Any, override: Any) -> Any:
    """Helm's coalescing of values: maps merge key by key, a null deletes the
    key, anything else replaces."""
    if not isinstance(base, dict) or not isinstance(override, dict):
        return override
    out = dict(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge(base.get(k), v) if k in base else v
    return out


def load_values(*overrides: dict | str | Path) -> dict:
    """The chart's default values with `overrides` (dicts or YAML files)
    merged over them in order, as `helm template -f a.yaml -f b.yaml` would."""
    values = yaml.safe_load(VALUES.read_text())
    for o in overrides:
        if not isinstance(o, dict):
            o = yaml.safe_load(Path(o).read_text()) or {}
        values = merge(values, o)
    return values


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|ms|us|µs|ns|m|s)")
_UNIT = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def seconds(duration: str) -> float:
    """A Go-style duration ("1m30s", "500ms", "0s"), the form Istio takes, in seconds."""
    text = str(duration).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {duration!r}")
    return sum(float(n) * _UNIT[u] for n, u in parts)


def proto_duration(duration: str) -> str:
    """The same duration as protobuf JSON ("0.5s"), the form Envoy takes."""
    return f"{round(seconds(duration), 9):.9f}".rstrip("0").rstrip(".") + "s"


@dataclass(frozen=True)
class Retries:
    attempts: int
    retry_on: str
    per_try_timeout: str | None = None


@dataclass(frozen=True)
class Match:
    """Empty: every request. Regexes are RE2 and match the whole value."""
    path_exact: str | None = None
    path_regex: str | None = None
    method_regex: str | None = None
    header_present: str | None = None


@dataclass(frozen=True)
class Route:
    name: str
    match: Match
    timeout: str  # "0s": none
    retries: Retries | None  # None: not retried


@dataclass(frozen=True)
class Split:
    subset: str
    weight: int


@dataclass(frozen=True)
class RateLimit:
    max_tokens: int
    tokens_per_fill: int
    fill_interval: str
    retry_after_seconds: int
    neutron_error_type: str
    message: str

    def neutron_error(self) -> dict:
        return {"NeutronError": {"type": self.neutron_error_type, "message": self.message,
                                 "detail": ""}}


@dataclass(frozen=True)
class ServicePolicy:
    key: str  # the Python package, e.g. svc_vpc
    name: str  # the Kubernetes name suffix, e.g. vpc
    protocol: str  # grpc or http
    port: int
    grpc_services: tuple[str, ...]
    routes: tuple[Route, ...]
    splits: tuple[Split, ...]
    load_balancer: str
    connection_pool: dict
    outlier_detection: dict
    rate_limit: RateLimit | None

    @property
    def subsets(self) -> tuple[str, ...]:
        return tuple(s.subset for s in self.splits)


@dataclass(frozen=True)
class MeshPolicy:
    subset_header: str
    services: dict[str, ServicePolicy]


def mesh_policy(values: dict | None = None) -> MeshPolicy:
    values = load_values() if values is None else values
    p = values["policy"]
    return MeshPolicy(
        subset_header=p["subsetHeader"],
        services={key: _service(key, svc, p) for key, svc in values["services"].items()},
    )


def _service(key: str, svc: dict, p: dict) -> ServicePolicy:
    eff = merge(p["defaults"], p.get("services", {}).get(key) or {})
    r = eff["retries"]
    retries = Retries(int(r["attempts"]), r["retryOn"], r.get("perTryTimeout"))
    unsafe_retries = Retries(int(r["attempts"]), p["unsafe"]["retryOn"])
    grpc = svc["protocol"] == "grpc"
    unsafe = (Match(path_regex=p["unsafe"]["grpcMethodRegex"]) if grpc
              else Match(method_regex=p["unsafe"]["httpMethodRegex"]))
    routes = [Route("long-lived-" + path.rsplit("/", 1)[1].lower(), Match(path_exact=path), "0s", None)
              for path in p.get("longLivedMethods", []) if path.split("/")[1] in svc.get("grpc", [])]
    routes += [
        Route("unsafe-keyed", Match(path_regex=unsafe.path_regex, method_regex=unsafe.method_regex,
                                    header_present=p["idempotencyKeyHeader"]),
              eff["timeout"], retries),
        Route("unsafe", unsafe, eff["timeout"], unsafe_retries),
        Route("default", Match(), eff["timeout"], retries),
    ]
    canary = svc.get("canary") or {}
    weight = int(canary.get("weight", 0)) if canary.get("enabled") else 0
    splits = tuple(s for s in (Split(STABLE, 100 - weight), Split(CANARY, weight)) if s.weight > 0)
    rl = p.get("rateLimit", {}).get(key)
    return ServicePolicy(
        key=key, name=svc["name"], protocol=svc["protocol"], port=int(svc["port"]),
        grpc_services=tuple(svc.get("grpc", [])), routes=tuple(routes), splits=splits,
        load_balancer=eff["loadBalancer"], connection_pool=eff["connectionPool"],
        outlier_detection=eff["outlierDetection"],
        rate_limit=None if not rl else RateLimit(
            int(rl["maxTokens"]), int(rl["tokensPerFill"]), rl["fillInterval"],
            int(rl["retryAfterSeconds"]), rl["neutronErrorType"], rl["message"]),
    )
