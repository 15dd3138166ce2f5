"""The Helm chart, rendered by the real Helm engine (helm-python-sdk: Helm's
Go SDK in a wheel, offline): it lints, its core objects are valid Kubernetes
(kubernetes-validate --strict) for the oldest and newest versions it claims,
and it matches the code: every gRPC service of the protos has its workload,
ports are the ones the services listen on, and every setting a pod gets is a
real runtime.config.Settings field pointing at a real Service."""
from __future__ import annotations

import dataclasses

import pytest

from cluster.local import DEFAULT_PORTS, SERVICES
from mesh.callgraph import grpc_services, scan
from mesh.istio import documents, render
from mesh.policy import CHART, load_values
from runtime.config import Settings

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (requirements-dev.txt) renders the chart")
kv = pytest.importorskip("kubernetes_validate", reason="kubernetes-validate (requirements-dev.txt)")

# The chart's kubeVersion floor (native gRPC probes are GA in 1.27) and the
# newest schema kubernetes-validate ships.
KUBE_VERSIONS = ["1.27.0", kv.utils.latest_version()]
CASES = {
    "default": {},
    "canary": load_values(CHART / "ci" / "canary-values.yaml"),
    "external-etcd": load_values(CHART / "ci" / "external-etcd-values.yaml"),
}
NS = "alcor"
POD_KINDS = ("Deployment", "DaemonSet", "StatefulSet")


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    values = load_values(CASES[request.param])
    docs = documents(render(CASES[request.param] or None, NS))
    return request.param, values, docs


@pytest.fixture(scope="module")
def default():
    docs = documents(render(None, NS))
    return load_values(), docs


def by_kind(docs, kind) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def containers(docs):
    for d in docs:
        if d["kind"] in POD_KINDS:
            for c in d["spec"]["template"]["spec"]["containers"]:
                yield d, c


def fqdn(name: str) -> str:
    return f"{name}.{NS}.svc.cluster.local"


def test_chart_lints():
    report = helm.lint(str(CHART), strict=True, kube_version="v1.34.0")
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("version", KUBE_VERSIONS)
def test_core_kinds_are_valid_kubernetes(case, version):
    name, _, docs = case
    core = [d for d in docs if not d["apiVersion"].split("/")[0].endswith("istio.io")]
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "DaemonSet",
            "ServiceAccount"} <= {d["kind"] for d in core}
    for d in core:
        kv.validate(d, version, strict=True)


def test_the_validator_is_strict():
    bad = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"},
           "spec": {"ports": [{"port": 1, "protocol": "TCP", "apProtocol": "grpc"}]}}
    with pytest.raises(kv.ValidationError):
        kv.validate(bad, KUBE_VERSIONS[-1], strict=True)


def test_values_are_checked_by_the_schema():
    with helm.Chart.load(str(CHART)) as chart:
        with pytest.raises(helm.HelmValuesError):
            chart.render({"services": {"svc_vpc": {"canary": {"weight": 150}}}}, name="a", namespace=NS)
        with pytest.raises(helm.HelmValuesError):
            chart.render({"etcd": {"mode": "sqlite"}}, name="a", namespace=NS)


def test_every_grpc_service_has_its_workload(default):
    """Each service of the protos is served by exactly one workload of the
    chart, which has a Deployment, a Service, a VirtualService and a
    DestinationRule, and the code of that workload registers it."""
    values, docs = default
    declared = {g: key for key, svc in values["services"].items() for g in svc["grpc"]}
    assert set(declared) == set(grpc_services())
    for key, svc in values["services"].items():
        name = f"alcor-{svc['name']}"
        for kind in ("Deployment", "Service", "VirtualService", "DestinationRule",
                     "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceAccount"):
            assert name in by_kind(docs, kind), (kind, name)
        code = scan(key)
        if code.implemented:
            assert code.serves == set(svc["grpc"]), key
    assert sum(len(svc["grpc"]) for svc in values["services"].values()) == len(declared)


def test_ports_are_where_the_services_listen(default):
    """values port == cluster.local.DEFAULT_PORTS == the Settings default
    address; the Service, the container, the probes and ALCOR_LISTEN agree."""
    values, docs = default
    defaults = {f.name: f.default for f in dataclasses.fields(Settings)}
    services, deployments = by_kind(docs, "Service"), by_kind(docs, "Deployment")
    assert set(SERVICES) | {"gateway"} == set(values["services"])
    for key, svc in values["services"].items():
        port, name = svc["port"], f"alcor-{svc['name']}"
        assert port == DEFAULT_PORTS[key] == int(defaults[svc["addrSetting"]].rsplit(":", 1)[1])
        if key in SERVICES:
            assert SERVICES[key] == svc["addrSetting"]
        sp = services[name]["spec"]["ports"]
        assert len(sp) == 1 and sp[0]["port"] == port
        assert sp[0]["name"] == f"{svc['protocol']}-api" and sp[0]["appProtocol"] == svc["protocol"]
        c = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert c["command"] == ["python", "-m", key]
        assert c["ports"] == [{"name": sp[0]["targetPort"], "containerPort": port, "protocol": "TCP"}]
        env = {e["name"]: e.get("value") for e in c["env"]}
        assert env["ALCOR_LISTEN"] == f"0.0.0.0:{port}"
        if svc["protocol"] == "grpc":
            # Native gRPC probes on grpc.health.v1 (the server's overall health).
            assert c["readinessProbe"]["grpc"] == {"port": port}
            assert c["livenessProbe"]["grpc"] == {"port": port}
        else:
            assert c["readinessProbe"]["httpGet"]["port"] == sp[0]["targetPort"]


def test_pod_settings_are_real_and_point_at_real_services(case):
    """Every ALCOR_* variable is a Settings field (runtime/config.py reads it);
    every address names a Service of the chart on that Service's port."""
    _, values, docs = case
    fields = {"ALCOR_" + f.name.upper() for f in dataclasses.fields(Settings)}
    ports = {fqdn(n): {p["port"] for p in s["spec"]["ports"]} for n, s in by_kind(docs, "Service").items()}
    seen = 0
    for d, c in containers(docs):
        if c["name"] == "etcd":
            continue
        env = {e["name"]: e.get("value") for e in c["env"]}
        alcor = {k: v for k, v in env.items() if k.startswith("ALCOR_")}
        assert set(alcor) <= fields, (d["metadata"]["name"], set(alcor) - fields)
        for k, v in alcor.items():
            if k == "ALCOR_ETCD" or (k.endswith("_ADDR") and k != "ALCOR_LISTEN"):
                host, port = v.rsplit(":", 1)
                assert int(port) in ports.get(host, set()), (d["metadata"]["name"], k, v)
        assert {"ALCOR_ETCD", *("ALCOR_" + f.upper() for f in SERVICES.values()),
                "ALCOR_GATEWAY_ADDR"} <= set(alcor)
        seen += 1
    assert seen >= len(values["services"]) + 1


def test_every_workload_scales_survives_disruption_and_spreads_across_zones(case):
    _, values, docs = case
    hpas, pdbs = by_kind(docs, "HorizontalPodAutoscaler"), by_kind(docs, "PodDisruptionBudget")
    deployments = by_kind(docs, "Deployment")
    for key, svc in values["services"].items():
        name = f"alcor-{svc['name']}"
        for dep in (deployments[n] for n in (name, name + "-canary") if n in deployments):
            spec = dep["spec"]["template"]["spec"]
            keys = {t["topologyKey"] for t in spec["topologySpreadConstraints"]}
            assert "topology.kubernetes.io/zone" in keys
            assert all(t["labelSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"]
                       for t in spec["topologySpreadConstraints"])
            c = spec["containers"][0]
            assert c["resources"]["requests"] and c["resources"]["limits"]
        assert hpas[name]["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert pdbs[name]["spec"]["selector"]["matchLabels"] == {"app": name}


def test_canary_is_a_second_deployment_of_the_canary_tag():
    values = load_values(CASES["canary"])
    docs = documents(render(CASES["canary"], NS))
    deps = by_kind(docs, "Deployment")
    canary = deps["alcor-vpc-canary"]
    tag = values["services"]["svc_vpc"]["canary"]["tag"]
    assert canary["spec"]["replicas"] == values["services"]["svc_vpc"]["canary"]["replicas"]
    assert canary["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":" + tag)
    assert canary["spec"]["selector"]["matchLabels"] == {"app": "alcor-vpc", "version": "canary"}
    assert deps["alcor-vpc"]["spec"]["selector"]["matchLabels"] == {"app": "alcor-vpc", "version": "stable"}
    assert by_kind(docs, "Service")["alcor-vpc"]["spec"]["selector"] == {"app": "alcor-vpc"}
    weights = [{d["destination"]["subset"]: d["weight"] for d in r["route"]}
               for r in by_kind(docs, "VirtualService")["alcor-vpc"]["spec"]["http"]]
    assert weights and all(w == {"stable": 90, "canary": 10} for w in weights)
    assert "alcor-ip-canary" not in deps


def test_agent_is_a_host_network_daemonset(default):
    values, docs = default
    ds = by_kind(docs, "DaemonSet")["alcor-agent"]
    spec = ds["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True and spec["dnsPolicy"] == "ClusterFirstWithHostNet"
    c = spec["containers"][0]
    assert "NET_ADMIN" in c["securityContext"]["capabilities"]["add"]
    assert c["command"][:3] == ["python", "-m", "agent"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["ALCOR_DPM_ADDR"] == f"{fqdn('alcor-dpm')}:{values['services']['svc_dpm']['port']}"


def test_etcd_is_three_members_one_per_zone(default):
    values, docs = default
    sts = by_kind(docs, "StatefulSet")["alcor-etcd"]
    assert sts["spec"]["replicas"] == 3
    spread = {t["topologyKey"]: t for t in sts["spec"]["template"]["spec"]["topologySpreadConstraints"]}
    assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["topology.kubernetes.io/zone"]["maxSkew"] == 1
    cmd = sts["spec"]["template"]["spec"]["containers"][0]["command"]
    cluster = next(a for a in cmd if a.startswith("--initial-cluster="))
    assert cluster.count("=http://") == 3
    assert by_kind(docs, "PodDisruptionBudget")["alcor-etcd"]["spec"]["minAvailable"] == 2
    assert by_kind(docs, "Service")["alcor-etcd-peer"]["spec"]["clusterIP"] == "None"


def test_external_etcd_is_a_service_over_the_given_addresses():
    values = load_values(CASES["external-etcd"])
    docs = documents(render(CASES["external-etcd"], NS))
    assert "StatefulSet" not in {d["kind"] for d in docs}
    svc = by_kind(docs, "Service")["alcor-etcd"]
    assert "selector" not in svc["spec"]
    es = by_kind(docs, "EndpointSlice")["alcor-etcd-external"]
    assert es["metadata"]["labels"]["kubernetes.io/service-name"] == "alcor-etcd"
    assert [a for e in es["endpoints"] for a in e["addresses"]] == values["etcd"]["external"]["addresses"]
    assert es["ports"][0]["port"] == svc["spec"]["ports"][0]["port"] == values["etcd"]["external"]["port"]


def test_gateway_is_exposed_through_the_istio_ingress(default):
    values, docs = default
    gw = by_kind(docs, "Gateway")["alcor-ingress"]
    assert gw["spec"]["selector"] == values["mesh"]["ingress"]["selector"]
    assert gw["spec"]["servers"][0]["hosts"] == values["mesh"]["ingress"]["hosts"]
    vs = by_kind(docs, "VirtualService")["alcor-gateway"]
    assert set(vs["spec"]["gateways"]) == {"mesh", "alcor-ingress"}
    assert set(values["mesh"]["ingress"]["hosts"]) <= set(vs["spec"]["hosts"])
