"""Pure tables for the gateway: path templates, route generation, query and
body mapping, status mapping, fields projection, links, header parsing, JSON
printing and the OpenAPI document. No servers."""
from __future__ import annotations

import grpc
import orjson
import pytest
from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pb2, descriptor_pool, struct_pb2

from alcor.v1 import common_pb2, network_pb2, port_pb2, subnet_pb2
from gateway import codec, neutron, openapi
from gateway.auth import Authenticator, parse_token_file
from gateway.errors import HttpError, http_status
from gateway.headers import grpc_timeout, idempotency_key, if_match_revision, request_id
from gateway.httprule import TemplateError, compile_template
from gateway.routes import RouteError, Router, build_routes, load_descriptors
from gateway.transcode import build_request, requested_fields

ROUTES = build_routes()
ROUTER = Router(ROUTES)


def route(method: str, path: str):
    r, values, _ = ROUTER.match(method, path)
    assert r is not None, (method, path)
    return r, values


# --- path templates ---------------------------------------------------------


@pytest.mark.parametrize("template,path,expected", [
    ("/v2.0/networks", "/v2.0/networks", {}),
    ("/v2.0/networks", "/v2.0/networks/", None),
    ("/v2.0/networks/{id}", "/v2.0/networks/abc", {("id",): "abc"}),
    ("/v2.0/networks/{id}", "/v2.0/networks/a%2Fb", {("id",): "a/b"}),
    ("/v2.0/networks/{id}", "/v2.0/networks/a/b", None),
    ("/v2.0/networks/{id}", "/v2.0/networks/", None),
    ("/v1/{name=projects/*/ports/*}", "/v1/projects/p/ports/x", {("name",): "projects/p/ports/x"}),
    ("/v1/{name=projects/*/ports/*}", "/v1/projects/p/ports", None),
    ("/v1/{a.b}/x", "/v1/val/x", {("a", "b"): "val"}),
    ("/v1/files/{path=**}", "/v1/files/a/b/c", {("path",): "a/b/c"}),
    ("/v1/*/items", "/v1/anything/items", {}),
    ("/v2.0/routers/{id}:add", "/v2.0/routers/r1:add", {("id",): "r1"}),
    ("/v2.0/routers/{id}:add", "/v2.0/routers/r1", None),
    ("/v2.0/ports/{id}", "/v2.0/ports/%C3%A9", {("id",): "é"}),
])
def test_template_matching(template, path, expected):
    assert compile_template(template).match(path) == expected


@pytest.mark.parametrize("bad", [
    "v2.0/networks",          # no leading slash
    "/v2.0//networks",        # empty segment
    "/v2.0/{id",              # unclosed variable
    "/v2.0/{}",               # empty field path
    "/v2.0/{a={b}}",          # nested variable
    "/v2.0/{id}/{id}",        # bound twice
    "/v1/**/x",               # ** not last
    "/v1/x:",                 # empty verb
    "/v1/{1abc}",             # not an identifier
    "/v1/x y",                # space
])
def test_bad_templates_fail(bad):
    with pytest.raises(TemplateError):
        compile_template(bad)


def test_undecodable_escape_raises():
    with pytest.raises(UnicodeDecodeError):
        compile_template("/v2.0/ports/{id}").match("/v2.0/ports/%ff")


def test_openapi_path_form():
    assert compile_template("/v1/{name=projects/*}/x/{id}").openapi_path == "/v1/{name}/x/{id}"


# --- routes from descriptors ------------------------------------------------


def test_every_annotated_rpc_has_a_route_and_every_route_an_rpc():
    files = load_descriptors()
    annotated = set()
    for f in files:
        for svc in f.services_by_name.values():
            for m in svc.methods:
                opts = m.GetOptions()
                if opts.HasExtension(annotations_pb2.http):
                    rule = opts.Extensions[annotations_pb2.http]
                    for r in [rule, *rule.additional_bindings]:
                        kind = r.WhichOneof("pattern")
                        path = r.custom.path if kind == "custom" else getattr(r, kind)
                        annotated.add((m.full_name, path))
    routed = {(f"{r.service}.{r.method}", r.template.source) for r in ROUTES}
    assert routed == annotated
    assert len(ROUTES) == len(annotated)
    # ...and the OpenAPI document has one operation per route, plus the native ones.
    doc = openapi.document(ROUTES)
    ops = {(p, m) for p, item in doc["paths"].items() for m in item}
    for r in ROUTES:
        assert (r.template.openapi_path, r.http_method.lower()) in ops


def test_the_neutron_resources_are_routed():
    want = {("POST", "/v2.0/{c}"), ("GET", "/v2.0/{c}"), ("GET", "/v2.0/{c}/{id}"),
            ("PUT", "/v2.0/{c}/{id}"), ("DELETE", "/v2.0/{c}/{id}")}
    for c in ("networks", "subnets", "ports", "nodes"):
        have = {(r.http_method, r.template.source.replace(c, "{c}", 1)) for r in ROUTES
                if r.template.source.startswith(f"/v2.0/{c}")}
        assert have == want, c


def _file_with_rule(rule: http_pb2.HttpRule, name: str):
    """A throwaway descriptor: service T with one annotated RPC on Network messages."""
    fdp = descriptor_pb2.FileDescriptorProto(name=f"{name}.proto", package=name, syntax="proto3",
                                             dependency=["google/api/annotations.proto",
                                                         "alcor/v1/network.proto"])
    svc = fdp.service.add(name="T")
    m = svc.method.add(name="Update", input_type=".alcor.v1.UpdateNetworkRequest",
                       output_type=".alcor.v1.UpdateNetworkResponse")
    m.options.Extensions[annotations_pb2.http].CopyFrom(rule)
    pool = descriptor_pool.Default()
    return pool.Add(fdp) or pool.FindFileByName(f"{name}.proto")


def test_additional_bindings_become_routes():
    rule = http_pb2.HttpRule(put="/v2.0/networks/{id}", body="*")
    rule.additional_bindings.add(patch="/v9/nets/{id}", body="network")
    f = _file_with_rule(rule, "gwtest_extra")
    routes = build_routes([f])
    assert [(r.http_method, r.template.source, r.additional) for r in routes] == [
        ("PUT", "/v2.0/networks/{id}", False), ("PATCH", "/v9/nets/{id}", True)]
    # body "network": the JSON is the Network itself, and it names the mask.
    req = build_request(routes[1], path_values={("id",): "n1"}, query=[],
                        body=b'{"name": "x", "admin_state_up": false}', method="PATCH", if_revision=0)
    assert req.id == "n1" and req.network.name == "x"
    assert list(req.update_mask.paths) == ["name", "admin_state_up"]


@pytest.mark.parametrize("rule,error", [
    (http_pb2.HttpRule(put="/v2.0/networks/{nope}", body="*"), "not a field"),
    (http_pb2.HttpRule(put="/v2.0/networks/{network}", body="*"), "singular scalar"),
    (http_pb2.HttpRule(put="/v2.0/networks/{id", body="*"), "expected"),
    (http_pb2.HttpRule(put="/v2.0/networks/{id}", body="nothing"), "body field"),
    (http_pb2.HttpRule(get="/v2.0/networks/{id}", body="*"), "GET cannot have a body"),
    (http_pb2.HttpRule(put="/v2.0/networks/{id}", body="*", response_body="network"), "response_body"),
])
def test_bad_annotations_fail_the_start(rule, error):
    f = _file_with_rule(rule, f"gwtest_bad_{abs(hash(str(rule))) % 10**8}")
    with pytest.raises(RouteError, match=error):
        build_routes([f])


# --- query, path and body mapping -------------------------------------------


@pytest.mark.parametrize("query,check", [
    ([("network_id", "n1")], lambda r: list(r.network_id) == ["n1"]),
    ([("id", "a"), ("id", "b")], lambda r: list(r.id) == ["a", "b"]),           # repeated ORs
    ([("binding:host_id", "h1")], lambda r: list(r.binding_host_id) == ["h1"]),  # by JSON name
    ([("binding_host_id", "h1")], lambda r: list(r.binding_host_id) == ["h1"]),  # by field name
    ([("limit", "100"), ("marker", "m")], lambda r: r.limit == 100 and r.marker == "m"),
    ([("page_reverse", "True")], lambda r: r.page_reverse is True),
    ([("sort_key", "name"), ("sort_dir", "desc")], lambda r: list(r.sort_key) == ["name"]),
    ([("fields", "id"), ("fields", "name")], lambda r: list(r.fields) == ["id", "name"]),
    ([("name", "")], lambda r: list(r.name) == [""]),
])
def test_query_mapping(query, check):
    r, _ = route("GET", "/v2.0/ports")
    assert check(build_request(r, path_values={}, query=query, body=b"", method="GET", if_revision=0))


@pytest.mark.parametrize("query,message", [
    ([("foo", "1")], "foo"),
    ([("limit", "ten")], "limit"),
    ([("limit", "99999999999")], "limit"),
    ([("limit", "1"), ("limit", "2")], "only once"),
    ([("page_reverse", "maybe")], "page_reverse"),
])
def test_bad_queries_are_400(query, message):
    r, _ = route("GET", "/v2.0/ports")
    with pytest.raises(HttpError) as e:
        build_request(r, path_values={}, query=query, body=b"", method="GET", if_revision=0)
    assert e.value.status == 400 and message in e.value.message


def test_fields_is_accepted_on_a_show_and_not_on_a_create():
    r, values = route("GET", "/v2.0/ports/p1")
    req = build_request(r, path_values=values, query=[("fields", "id")], body=b"", method="GET",
                        if_revision=0)
    assert req.id == "p1"
    r, _ = route("POST", "/v2.0/ports")
    with pytest.raises(HttpError):
        build_request(r, path_values={}, query=[("fields", "id")], body=b'{"port": {}}',
                      method="POST", if_revision=0)


@pytest.mark.parametrize("query,fields", [
    ([("fields", "id"), ("fields", "name")], ["id", "name"]),
    ([("fields", "id,name")], ["id", "name"]),
    ([("name", "x")], []),
])
def test_requested_fields(query, fields):
    assert requested_fields(query) == fields


def test_update_fills_mask_with_field_names_and_revision():
    r, values = route("PUT", "/v2.0/ports/p1")
    body = b'{"port": {"name": "n", "binding:host_id": "h", "binding:profile": {"a": 1}}}'
    req = build_request(r, path_values=values, query=[], body=body, method="PUT", if_revision=7)
    assert req.id == "p1" and req.if_revision == 7
    assert list(req.update_mask.paths) == ["name", "binding_host_id", "binding_profile"]
    assert req.port.binding_host_id == "h"


@pytest.mark.parametrize("body,message", [
    (b'{"port": {"name": 5}}', "name"),
    (b'{"port": {"nme": "x"}}', "nme"),
    (b'{"port": {"name": "x"}, "id": "other"}', "Unrecognized"),
    (b'{"port": {"name": "x"}, "update_mask": "name"}', "Unrecognized"),
    (b'{"port": {"name": "x"}, "if_revision": 3}', "Unrecognized"),
    (b'{"port": ', "Malformed"),
    (b'', "Malformed"),
    (b'[1, 2]', "JSON object"),
    (b'"x"', "JSON object"),
    (b'{"port": {"fixed_ips": {"ip_address": "x"}}}', "fixed_ips"),
    (b'{"port": {"admin_state_up": "yes"}}', "admin_state_up"),
    (b'{"port": {"revision_number": 1.5}}', "revision_number"),
    (b'{"port": {"revision_number": "1.5"}}', "revision_number"),
    (b'{"port": {"revision_number": "99999999999999999999"}}', "out of range"),
])
def test_bad_bodies_are_400(body, message):
    r, values = route("PUT", "/v2.0/ports/p1")
    with pytest.raises(HttpError) as e:
        build_request(r, path_values=values, query=[], body=body, method="PUT", if_revision=0)
    assert e.value.status == 400 and message in e.value.message


@pytest.mark.parametrize("value,expected", [(1400, 1400), ("1400", 1400), (1400.0, 1400), ("-1", -1)])
def test_integers_may_come_as_decimal_strings(value, expected):
    # proto3 JSON allows it, and `openstack network set --mtu 1400` sends "1400".
    r, values = route("PUT", "/v2.0/networks/n1")
    req = build_request(r, path_values=values, query=[], body=orjson.dumps({"network": {"mtu": value}}),
                        method="PUT", if_revision=0)
    assert req.network.mtu == expected


def test_create_single_and_bulk_bodies():
    r, _ = route("POST", "/v2.0/ports")
    one = build_request(r, path_values={}, query=[], body=b'{"port": {"network_id": "n"}}',
                        method="POST", if_revision=0)
    assert one.HasField("port") and not one.ports
    many = build_request(r, path_values={}, query=[], method="POST", if_revision=0,
                         body=orjson.dumps({"ports": [{"network_id": "n"}] * 3}))
    assert not many.HasField("port") and len(many.ports) == 3


def test_subnet_gateway_null_and_absent_differ():
    r, _ = route("POST", "/v2.0/subnets")
    null = build_request(r, path_values={}, query=[], method="POST", if_revision=0,
                         body=b'{"subnet": {"gateway_ip": null}}')
    absent = build_request(r, path_values={}, query=[], method="POST", if_revision=0,
                           body=b'{"subnet": {}}')
    assert null.subnet.HasField("gateway_ip") and null.subnet.gateway_ip.WhichOneof("kind") == "null_value"
    assert not absent.subnet.HasField("gateway_ip")


# --- JSON output --------------------------------------------------------------


def test_resources_print_every_list_and_default_and_int64_as_number():
    r, _ = route("GET", "/v2.0/ports/p")
    out = r.print_response(port_pb2.GetPortResponse(port=port_pb2.Port(id="p", revision_number=2**40)))
    port = out["port"]
    assert port["revision_number"] == 2**40
    for key in ("fixed_ips", "security_groups", "tags", "allowed_address_pairs"):
        assert port[key] == []
    assert port["name"] == "" and port["binding:host_id"] == ""
    assert "admin_state_up" not in port  # optional and unset: absent
    assert b'"revision_number":1099511627776' in orjson.dumps(out)


def test_value_and_struct_print_as_plain_json():
    r, _ = route("GET", "/v2.0/subnets/s")
    s = subnet_pb2.Subnet(id="s")
    s.gateway_ip.null_value = struct_pb2.NULL_VALUE
    assert r.print_response(subnet_pb2.GetSubnetResponse(subnet=s))["subnet"]["gateway_ip"] is None
    s.gateway_ip.string_value = "10.0.0.1"
    assert r.print_response(subnet_pb2.GetSubnetResponse(subnet=s))["subnet"]["gateway_ip"] == "10.0.0.1"
    p = port_pb2.Port(id="p")
    p.binding_profile.update({"a": 1, "b": [True, None, "x"], "c": {"d": 1.5}})
    r, _ = route("GET", "/v2.0/ports/p")
    assert r.print_response(port_pb2.GetPortResponse(port=p))["port"]["binding:profile"] == \
        {"a": 1, "b": [True, None, "x"], "c": {"d": 1.5}}


def test_top_level_prints_only_what_is_set_but_lists_stay_lists():
    r, _ = route("POST", "/v2.0/networks")
    single = r.print_response(network_pb2.CreateNetworksResponse(network=network_pb2.Network(id="n")))
    assert list(single) == ["network"]
    bulk = r.print_response(network_pb2.CreateNetworksResponse(networks=[network_pb2.Network(id="n")]))
    assert list(bulk) == ["networks"]
    r, _ = route("GET", "/v2.0/networks")
    assert r.print_response(network_pb2.ListNetworksResponse()) == {"networks": []}
    page = r.print_response(network_pb2.ListNetworksResponse(
        networks=[network_pb2.Network(id="n")],
        networks_links=[common_pb2.Link(rel="next", href="?limit=1&marker=n")]))
    assert page["networks_links"] == [{"rel": "next", "href": "?limit=1&marker=n"}]


def test_printer_handles_enums_bytes_maps_and_floats():
    p = codec.Printers()
    desc = descriptor_pb2.FieldDescriptorProto.DESCRIPTOR  # has enums, strings, optional fields
    out = p(desc)(descriptor_pb2.FieldDescriptorProto(name="x", type=9))
    assert out["type"] == "TYPE_STRING" and out["name"] == "x"
    st = struct_pb2.Struct()
    st.update({"k": float("inf")})
    assert p(struct_pb2.Struct.DESCRIPTOR)(st) == {"k": "Infinity"}


# --- projection and links -----------------------------------------------------


@pytest.mark.parametrize("body,fields,expected", [
    ({"port": {"id": "1", "name": "a", "tags": []}}, ["id"], {"port": {"id": "1"}}),
    ({"ports": [{"id": "1", "name": "a"}, {"id": "2", "name": "b"}], "ports_links": [{"rel": "next"}]},
     ["name"], {"ports": [{"name": "a"}, {"name": "b"}], "ports_links": [{"rel": "next"}]}),
    ({"ports": [{"id": "1"}]}, ["nothing"], {"ports": [{}]}),
    ({"ports": []}, ["id"], {"ports": []}),
])
def test_fields_projection(body, fields, expected):
    res = ("port",) if "port" in body else ("ports",)
    assert neutron.select_fields(body, res, fields) == expected


def test_links_become_absolute_and_keep_filters():
    body = {"ports": [], "ports_links": [{"rel": "next", "href": "?limit=2&marker=m2"}]}
    neutron.absolute_links(body, ("ports_links",), "http://gw:9696", "/v2.0/ports",
                           [("network_id", "n"), ("limit", "2"), ("marker", "m1"), ("fields", "id")])
    assert body["ports_links"][0]["href"] == \
        "http://gw:9696/v2.0/ports?network_id=n&fields=id&limit=2&marker=m2"


# --- status mapping ------------------------------------------------------------


@pytest.mark.parametrize("code,reason,status", [
    (grpc.StatusCode.NOT_FOUND, "PortNotFound", 404),
    (grpc.StatusCode.NOT_FOUND, "NodeNotFound", 404),
    (grpc.StatusCode.INVALID_ARGUMENT, "SomethingNotFound", 404),
    (grpc.StatusCode.FAILED_PRECONDITION, "NetworkInUse", 409),
    (grpc.StatusCode.FAILED_PRECONDITION, "SubnetInUse", 409),
    (grpc.StatusCode.ALREADY_EXISTS, "IpAddressAlreadyAllocated", 409),
    (grpc.StatusCode.ALREADY_EXISTS, "MacAddressInUse", 409),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "IpAddressGenerationFailure", 409),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "MacAddressGenerationFailure", 409),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "OverQuota", 409),
    (grpc.StatusCode.ABORTED, "Conflict", 409),
    (grpc.StatusCode.ALREADY_EXISTS, "NodeNameInUse", 409),
    (grpc.StatusCode.INVALID_ARGUMENT, "InvalidInput", 400),
    (grpc.StatusCode.INVALID_ARGUMENT, "InvalidCIDR", 400),
    (grpc.StatusCode.INVALID_ARGUMENT, "HostNotRegistered", 400),
    (grpc.StatusCode.INVALID_ARGUMENT, "AnythingNew", 400),
    (grpc.StatusCode.FAILED_PRECONDITION, "RevisionNumberConstraintFailed", 412),
    (grpc.StatusCode.PERMISSION_DENIED, "NotAuthorized", 403),
    (grpc.StatusCode.UNAVAILABLE, None, 503),
    (grpc.StatusCode.UNAVAILABLE, "ServiceUnavailable", 503),
    (grpc.StatusCode.DEADLINE_EXCEEDED, None, 504),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, "Unlisted", 429),   # the gRPC table's fallback
    (grpc.StatusCode.FAILED_PRECONDITION, None, 400),
    (grpc.StatusCode.UNIMPLEMENTED, None, 501),
    (grpc.StatusCode.INTERNAL, "InternalError", 500),
    (grpc.StatusCode.CANCELLED, None, 499),
])
def test_status_mapping(code, reason, status):
    assert http_status(code, reason) == status


# --- headers --------------------------------------------------------------------


@pytest.mark.parametrize("raw,revision", [
    (None, 0), ("", 0), ("*", 0), ("revision_number=5", 5), ("5", 5), ('"5"', 5),
    (" revision_number=12 ", 12), ('revision_number="3"', 3),
])
def test_if_match(raw, revision):
    assert if_match_revision(raw) == revision


@pytest.mark.parametrize("raw", ["revision_number=", "revision_number=abc", "abc", "-1", "0",
                                 "revision_number=0", "1,2", "W/\"x\"", "9" * 19])
def test_bad_if_match_is_400(raw):
    with pytest.raises(HttpError) as e:
        if_match_revision(raw)
    assert e.value.status == 400


@pytest.mark.parametrize("raw,seconds", [
    (None, 30.0), ("5S", 5.0), ("100m", 0.1), ("2M", 120.0), ("1H", 300.0), ("250u", 0.00025),
    ("10n", 1e-8), ("99999999S", 300.0),
])
def test_grpc_timeout(raw, seconds):
    assert grpc_timeout(raw, 30.0, 300.0) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", ["5", "S", "5s", "5 S", "-1S", "123456789S", "1.5S"])
def test_bad_grpc_timeout_is_400(raw):
    with pytest.raises(HttpError):
        grpc_timeout(raw, 30.0, 300.0)


@pytest.mark.parametrize("headers,kept", [
    ({"x-request-id": "abc-123"}, "abc-123"),
    ({"x-openstack-request-id": "req-1"}, "req-1"),
    ({"x-request-id": "has space"}, None),
    ({"x-request-id": "é"}, None),
    ({"x-request-id": "x" * 200}, None),
    ({}, None),
])
def test_request_id(headers, kept):
    rid = request_id(headers)
    if kept:
        assert rid == kept
    else:
        assert rid.startswith("req-") and len(rid) == 40


def test_idempotency_key():
    assert idempotency_key({}) == ""
    assert idempotency_key({"idempotency-key": "k1"}) == "k1"
    with pytest.raises(HttpError):
        idempotency_key({"idempotency-key": "bad key"})


# --- auth -------------------------------------------------------------------------


def test_no_auth_mode(tmp_path):
    a = Authenticator("", "default")
    assert a.authenticate({}) .roles == ("admin",) and a.authenticate({}).project_id == "default"
    p = a.authenticate({"x-project-id": "p1"})
    assert (p.project_id, p.roles) == ("p1", ("member",))
    p = a.authenticate({"x-project-id": "p1", "x-roles": "admin,reader"})
    assert p.roles == ("admin", "reader")
    for bad in ({"x-project-id": "has space"}, {"x-project-id": "p", "x-roles": "a b"}):
        with pytest.raises(HttpError) as e:
            a.authenticate(bad)
        assert e.value.status == 400


def test_token_mode(tmp_path):
    f = tmp_path / "tokens.json"
    f.write_text('{"tokens": {"t1": {"project_id": "p1", "roles": ["member"]}, '
                 '"t2": {"project_id": "ops", "roles": ["admin"]}}}')
    a = Authenticator(str(f), "default")
    assert a.authenticate({"x-auth-token": "t1"}).project_id == "p1"
    assert a.authenticate({"x-auth-token": "t2", "x-project-id": "p1"}).project_id == "ops"
    for headers in ({}, {"x-auth-token": "nope"}, {"x-project-id": "p1"}):
        with pytest.raises(HttpError) as e:
            a.authenticate(headers)
        assert e.value.status == 401


@pytest.mark.parametrize("text", ["[]", "{}", '{"tokens": []}', '{"tokens": {"t": {}}}',
                                  '{"tokens": {"t": {"project_id": "p", "roles": [1]}}}',
                                  '{"tokens": {"t": {"project_id": "p q"}}}', "not json"])
def test_bad_token_files(text):
    with pytest.raises(ValueError):
        parse_token_file(text)


# --- documents ----------------------------------------------------------------------


def test_version_document_and_resource_index():
    doc = neutron.version_document("http://h:1")
    assert doc == {"versions": [{"id": "v2.0", "status": "CURRENT",
                                 "links": [{"rel": "self", "href": "http://h:1/v2.0/"}]}]}
    index = neutron.resource_index(ROUTES)
    assert {("network", "networks"), ("node", "nodes"), ("port", "ports"),
            ("subnet", "subnets")} <= set(index)
    collections = {r.template.source.split("/")[2] for r in ROUTES}
    assert {c for _, c in index} == collections


def test_extensions_follow_the_routes():
    aliases = {e["alias"] for e in neutron.extensions(ROUTES)}
    assert {"binding", "project-id", "revision-if-match", "alcor-nodes"} <= aliases
    assert ("router" in aliases) == any(r.template.source == "/v2.0/routers" for r in ROUTES)
    assert "router" not in {e["alias"] for e in neutron.extensions([])}


def test_openapi_document_is_valid_and_describes_the_api():
    import schemathesis

    doc = openapi.document(ROUTES)
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()
    ports = doc["paths"]["/v2.0/ports"]
    params = {p["name"] for p in ports["get"]["parameters"]}
    assert {"network_id", "binding:host_id", "limit", "marker", "fields", "sort_key"} <= params
    assert set(ports["post"]["responses"]) >= {"201", "400", "409", "default"}
    put = doc["paths"]["/v2.0/ports/{id}"]["put"]
    assert "412" in put["responses"] and any(p["name"] == "If-Match" for p in put["parameters"])
    assert put["requestBody"]["content"]["application/json"]["schema"]["additionalProperties"] is False
    port = doc["components"]["schemas"]["alcor.v1.Port"]["properties"]
    assert port["revision_number"]["type"] == "integer"
    assert port["fixed_ips"]["type"] == "array"


def test_explicit_empty_lists_are_marked_on_messages_that_listen():
    r, _ = route("POST", "/v2.0/ports")
    req = build_request(r, path_values={}, query=[], method="POST", if_revision=0,
                        body=b'{"port": {"network_id": "n", "fixed_ips": [], "security_groups": [],'
                             b' "tags": ["a"], "allowed_address_pairs": null}}')
    assert sorted(req.port.empty_lists) == ["fixed_ips", "security_groups"]
    req = build_request(r, path_values={}, query=[], method="POST", if_revision=0,
                        body=b'{"port": {"network_id": "n", "tags": []}}')
    assert list(req.port.empty_lists) == ["tags"]
