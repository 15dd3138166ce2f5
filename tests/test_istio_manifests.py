"""The chart's Istio objects: valid against Istio's own CRD schemas (offline,
istio/validate.mjs), the standalone copy in istio/ is current, the
authorization graph is exactly the calls the code makes, and the retry
policy matches what the protos and the services do (which calls are unsafe
to repeat, which header makes them safe, which calls are streams)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings

import pytest

from mesh.callgraph import grpc_services, scan
from mesh.istio import ISTIO_COPY, documents, istio_yaml, render
from mesh.policy import CHART, ROOT, load_values
from runtime.context import IDEMPOTENCY_KEY

pytest.importorskip("helm_python", reason="helm-python-sdk (requirements-dev.txt) renders the chart")

NS = "alcor"
VALIDATOR = ROOT / "istio" / "validate.mjs"
CASES = {"default": {}, "canary": load_values(CHART / "ci" / "canary-values.yaml"),
         "external-etcd": load_values(CHART / "ci" / "external-etcd-values.yaml")}


@pytest.fixture(scope="module")
def values():
    return load_values()


@pytest.fixture(scope="module")
def istio(values):
    out: dict[str, dict[str, dict]] = {}
    for d in documents(render(None, NS), istio=True):
        out.setdefault(d["kind"], {})[d["metadata"]["name"]] = d
    return out


def validate_with_crd_schemas(docs: list[dict]) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian nodejs; `make test` installs it)")
    if not (ROOT / "node_modules" / "@kubernetes-models" / "istio").exists():
        pytest.skip("@kubernetes-models/istio is not installed (package.json; `make test` runs npm)")
    r = subprocess.run([node, str(VALIDATOR)], input=json.dumps(docs), capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.mark.parametrize("case", sorted(CASES))
def test_istio_kinds_are_valid_against_istios_crd_schemas(case):
    docs = documents(render(CASES[case] or None, NS), istio=True)
    assert {"VirtualService", "DestinationRule", "Gateway", "EnvoyFilter", "PeerAuthentication",
            "AuthorizationPolicy"} == {d["kind"] for d in docs}
    results = validate_with_crd_schemas(docs)
    assert len(results) == len(docs)
    bad = [r for r in results if r["errors"] or r["unknown"]]
    assert bad == []


def test_the_crd_validator_catches_mistakes(istio):
    vs = json.loads(json.dumps(istio["VirtualService"]["alcor-vpc"]))
    vs["spec"]["http"][0]["retries"]["retryon"] = "reset"  # a typo: unknown field
    dr = json.loads(json.dumps(istio["DestinationRule"]["alcor-vpc"]))
    dr["spec"]["trafficPolicy"]["loadBalancer"]["simple"] = "FASTEST"  # not in the enum
    ap = json.loads(json.dumps(istio["AuthorizationPolicy"]["alcor-vpc"]))
    ap["spec"]["rules"][0]["from"][0]["source"]["principals"] = "one"  # not a list
    r = validate_with_crd_schemas([vs, dr, ap])
    assert r[0]["unknown"] == ["/spec/http/0/retries/retryon"]
    assert "simple" in " ".join(r[1]["errors"])
    assert "principals" in " ".join(r[2]["errors"])


def test_the_istio_copy_is_current():
    """istio/alcor-istio.yaml is the chart's Istio templates rendered with the
    default values; regenerate with `python -m mesh.istio`."""
    assert ISTIO_COPY.read_text() == istio_yaml(), "istio/ drifted from the chart: run `python -m mesh.istio`"


# --- authorization: exactly the call graph ---------------------------------------

def _workloads(values) -> dict[str, dict]:
    """workload key -> its values (services, and the agent)."""
    return {**values["services"], "agent": values["agent"]}


def _authz_graph(values, istio) -> tuple[set, set]:
    """(caller key, gRPC service) pairs the AuthorizationPolicies allow, and
    the callers they let reach etcd."""
    prefix = f"{values['mesh']['trustDomain']}/ns/{NS}/sa/{values['namePrefix']}-"
    by_name = {w["name"]: key for key, w in _workloads(values).items()}
    by_app = {f"{values['namePrefix']}-{w['name']}": key for key, w in values["services"].items()}

    def callers(source: dict) -> set[str]:
        if "ipBlocks" in source:
            assert values["agent"]["hostNetwork"] and source["ipBlocks"] == values["agent"]["nodeCidrs"]
            return {"agent"}
        out = set()
        for p in source["principals"]:
            if p == values["mesh"]["ingress"]["principal"]:
                out.add("ingress")
            else:
                assert p.startswith(prefix), p
                out.add(by_name.get(p[len(prefix):], p[len(prefix):]))
        return out

    edges, etcd = set(), set()
    for name, ap in istio["AuthorizationPolicy"].items():
        if not ap["spec"]:
            continue
        assert ap["spec"]["action"] == "ALLOW"
        app = ap["spec"]["selector"]["matchLabels"]["app"]
        for rule in ap["spec"]["rules"]:
            who = set().union(*(callers(f["source"]) for f in rule["from"]))
            ops = [t["operation"] for t in rule["to"]]
            if app == f"{values['namePrefix']}-etcd":
                if "etcd" not in who:
                    etcd |= who
                continue
            callee = by_app[app]
            for op in ops:
                if "paths" in op:
                    for path in op["paths"]:
                        service = re.fullmatch(r"/([\w.]+)/\*", path).group(1)
                        assert service in values["services"][callee]["grpc"], (callee, path)
                        edges |= {(c, service) for c in who}
                else:
                    assert callee == "gateway" and who == {"ingress"}
                    assert op["ports"] == [str(values["services"]["gateway"]["port"])]
                    edges.add(("ingress", "gateway"))
    return edges, etcd


def test_authorization_allows_exactly_the_calls_the_code_makes(values, istio):
    """The code's graph: per workload package, the *ServiceStub classes it
    builds, the method paths it names, or (the REST gateway) the services
    whose google.api.http routes it binds (mesh/callgraph.py). A package that
    has no __main__.py yet is held to its declared `calls`, with a warning."""
    edges, etcd = _authz_graph(values, istio)
    expected, expected_etcd, pending = {("ingress", "gateway")}, set(), []
    for key, w in _workloads(values).items():
        code = scan(key)
        if code.implemented:
            calls, uses_etcd = code.calls, code.etcd
            assert set(w["calls"]) == calls, f"{key}: values say {w['calls']}, the code calls {sorted(calls)}"
            assert w["usesEtcd"] == uses_etcd, key
        else:
            calls, uses_etcd = set(w["calls"]), w["usesEtcd"]
            pending.append(key)
        expected |= {(key, s) for s in calls}
        if uses_etcd:
            expected_etcd.add(key)
    if pending:
        warnings.warn(f"no code yet for {pending}: their AuthorizationPolicy edges follow values.yaml")
    assert edges == expected
    assert etcd == expected_etcd


def test_the_call_graph_is_the_one_of_issue_5(values, istio):
    edges, _ = _authz_graph(values, istio)
    owner = {g: key for key, svc in values["services"].items() for g in svc["grpc"]}
    graph = {(caller, owner.get(service, service)) for caller, service in edges}
    assert graph == {
        ("ingress", "gateway"),
        ("gateway", "svc_vpc"), ("gateway", "svc_port"), ("gateway", "svc_dpm"),
        ("svc_port", "svc_vpc"), ("svc_port", "svc_ip"), ("svc_port", "svc_mac"), ("svc_port", "svc_dpm"),
        ("agent", "svc_dpm"),
    }


def test_everything_else_is_denied_and_mtls_is_strict(values, istio):
    aps = istio["AuthorizationPolicy"]
    assert [n for n, ap in aps.items() if not ap["spec"]] == ["alcor-allow-nothing"]
    assert all(ap["spec"].get("action") == "ALLOW" for ap in aps.values() if ap["spec"])
    pas = istio["PeerAuthentication"]
    assert pas["default"]["spec"] == {"mtls": {"mode": "STRICT"}}
    # The only exception: the port a sidecar-less (hostNetwork) agent calls.
    permissive = {n: pa["spec"]["portLevelMtls"] for n, pa in pas.items() if "portLevelMtls" in pa["spec"]}
    dpm = values["services"]["svc_dpm"]
    assert permissive == {"alcor-dpm": {dpm["port"]: {"mode": "PERMISSIVE"}}}
    assert pas["alcor-dpm"]["spec"]["mtls"] == {"mode": "STRICT"}


# --- retries: what is safe to repeat ------------------------------------------------

def test_routes_retry_what_is_safe_and_creates_only_with_a_key(values, istio):
    p = values["policy"]
    # The header the mesh keys on is the one the services deduplicate by.
    assert p["idempotencyKeyHeader"] == IDEMPOTENCY_KEY
    for key, svc in values["services"].items():
        http = {r["name"]: r for r in istio["VirtualService"][f"alcor-{svc['name']}"]["spec"]["http"]}
        names = list(http)
        assert names[-3:] == ["unsafe-keyed", "unsafe", "default"]
        for name in ("default", "unsafe-keyed"):
            r = http[name]["retries"]
            assert set(r["retryOn"].split(",")) >= {"unavailable", "reset", "connect-failure"}
            assert r["attempts"] > 0 and "perTryTimeout" in r
        assert http["unsafe-keyed"]["match"][0]["headers"] == {IDEMPOTENCY_KEY: {"regex": ".+"}}
        # Without the key: only failures that prove the call was never delivered.
        assert set(http["unsafe"]["retries"]["retryOn"].split(",")) <= {"connect-failure", "refused-stream"}
        assert "perTryTimeout" not in http["unsafe"]["retries"]


def test_unsafe_calls_are_the_creates_allocations_updates_and_adds():
    """The unsafe-method regex picks, among all methods of the protos, exactly
    those that make or change something a retry could duplicate (reads,
    look-ups, deletes and releases are safe to repeat)."""
    regex = re.compile(load_values()["policy"]["unsafe"]["grpcMethodRegex"])
    for s in grpc_services().values():
        for m in s.methods:
            unsafe = bool(regex.fullmatch(f"/{s.full_name}/{m}"))
            assert unsafe == m.startswith(("Create", "Allocate", "Update", "Add")), (s.full_name, m)


def test_streams_have_no_timeout_and_no_retries(values, istio):
    streams = {f"/{s.full_name}/{m}" for s in grpc_services().values() for m in s.streaming}
    assert streams == set(values["policy"]["longLivedMethods"])
    for key, svc in values["services"].items():
        http = istio["VirtualService"][f"alcor-{svc['name']}"]["spec"]["http"]
        long_lived = [r for r in http if r["name"].startswith("long-lived-")]
        # First, so no other route (with its timeout) catches a stream.
        assert http[:len(long_lived)] == long_lived
        assert {r["match"][0]["uri"]["exact"] for r in long_lived} == \
            {p for p in streams if p.split("/")[1] in svc["grpc"]}
        for r in long_lived:
            assert r["timeout"] == "0s" and r["retries"] == {"attempts": 0}


def test_rate_limit_filter_is_well_formed(values, istio):
    ef = istio["EnvoyFilter"]["alcor-gateway-ratelimit"]
    assert ef["spec"]["workloadSelector"]["labels"] == {"app": "alcor-gateway"}
    value = ef["spec"]["configPatches"][0]["patch"]["value"]
    assert value["name"] == "envoy.filters.http.local_ratelimit"
    bucket = value["typed_config"]["token_bucket"]
    # Envoy reads these as protobuf JSON: a Duration is "<seconds>s".
    assert re.fullmatch(r"\d+(\.\d+)?s", bucket["fill_interval"])
    assert bucket["max_tokens"] == values["policy"]["rateLimit"]["gateway"]["maxTokens"]
