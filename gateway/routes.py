"""The route table, generated from the services' descriptors.

At start-up every alcor.v1 *_pb2 module is imported, every google.api.http
rule (additional_bindings included) becomes a Route, and everything a request
needs is precomputed per route: the compiled template, the message classes,
which request fields the path, the body and the query string fill, the
update mask and If-Match bindings, the response printer. Any rule that does
not fit its messages raises RouteError, so a bad annotation fails the start.

Conventions (grpc-gateway's, with Neutron's statuses):
- body "*": the JSON object is the request message, minus the fields the path
  binds and the ones the gateway fills (update_mask, if_revision);
- no body: scalar request fields come from the query string by JSON or field
  name, a repeated key appends;
- a FieldMask field named update_mask gets the top-level keys of the body's
  resource object; an integer field named if_revision gets the If-Match
  revision;
- POST answers 201, DELETE 204 without a body, everything else 200;
- a method M whose service also has M + "Batch" (calls of M's request with
  their metadata in, an outcome per call out: see PortService.CreatePortsBatch)
  gets that twin bound too, and the gateway coalesces concurrent requests of
  M into it (gateway/coalesce.py).
"""
from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor as _d
from google.protobuf import message_factory
from google.protobuf.message import Message

from gateway import codec
from gateway.httprule import Template, TemplateError, compile_template

FD = _d.FieldDescriptor
MASK_FIELD = "update_mask"
REVISION_FIELD = "if_revision"
LINKS_SUFFIX = "_links"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


class RouteError(ValueError):
    pass


@dataclass(frozen=True)
class BatchTwin:
    """How to send many calls of a route as one: `rpc` takes a request whose
    `calls` hold (request, metadata) pairs, and answers `outcomes`, each the
    route's response in field `result` or a google.rpc.Status in `error`."""

    rpc: str
    request_cls: type[Message]
    response_cls: type[Message]
    call_cls: type[Message]
    result: str


BATCH_SUFFIX = "Batch"


def batch_twin(m: _d.MethodDescriptor) -> BatchTwin | None:
    """The method's batch twin, if its service has one; RouteError if the
    twin does not have the shape BatchTwin describes."""
    twin = m.containing_service.methods_by_name.get(m.name + BATCH_SUFFIX)
    if twin is None:
        return None
    where = twin.full_name

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise RouteError(f"{where}: a batch twin of {m.name} needs {what}")

    need(not (twin.client_streaming or twin.server_streaming), "to be unary")
    calls = twin.input_type.fields_by_name.get("calls")
    need(calls is not None and calls.is_repeated and calls.message_type is not None,
         "a repeated message field `calls`")
    call = calls.message_type
    req, md = call.fields_by_name.get("request"), call.fields_by_name.get("metadata")
    need(req is not None and req.message_type is m.input_type,
         f"calls with a `request` of {m.input_type.name}")
    need(md is not None and md.message_type is not None and md.message_type.GetOptions().map_entry,
         "calls with a `metadata` map")
    outcomes = twin.output_type.fields_by_name.get("outcomes")
    need(outcomes is not None and outcomes.is_repeated and outcomes.message_type is not None,
         "a repeated message field `outcomes`")
    fields = outcomes.message_type.fields
    result = next((f.name for f in fields if f.message_type is m.output_type), None)
    error = outcomes.message_type.fields_by_name.get("error")
    need(result is not None and error is not None
         and error.message_type.full_name == "google.rpc.Status",
         f"outcomes of a {m.output_type.name} or a google.rpc.Status `error`")
    return BatchTwin(rpc=f"/{m.containing_service.full_name}/{twin.name}",
                     request_cls=message_factory.GetMessageClass(twin.input_type),
                     response_cls=message_factory.GetMessageClass(twin.output_type),
                     call_cls=message_factory.GetMessageClass(call), result=result)


@dataclass
class Route:
    http_method: str  # "GET"
    template: Template
    service: str  # "alcor.v1.PortService"
    method: str  # "CreatePorts"
    request_cls: type[Message]
    response_cls: type[Message]
    body: str  # "", "*" or a request field name
    # (field path, converter) for each path variable.
    path_fields: list[tuple[tuple[str, ...], Callable[[str], Any]]]
    # query key (JSON or field name) -> (field, converter)
    query_fields: dict[str, tuple[FD, Callable[[str], Any]]]
    # keys a body "*" may not carry: bound by the path or filled by the gateway
    body_forbidden: frozenset[str]
    # (resource field name, {key in its JSON object -> field name}) when the
    # request has an update_mask to fill
    mask: tuple[str, dict[str, str]] | None
    if_revision: bool
    status: int
    print_response: Callable[[Message], dict]
    resource_fields: tuple[str, ...]  # JSON names of the response's resource fields
    link_fields: tuple[str, ...]
    additional: bool = False  # from additional_bindings
    batch: BatchTwin | None = None
    call: Any = field(default=None, repr=False)  # bound by the app to a channel
    # With a batch twin: a Coalescer the app binds, which `call` goes through.
    coalescer: Any = field(default=None, repr=False)

    @property
    def rpc(self) -> str:
        return f"/{self.service}/{self.method}"

    @property
    def operation_id(self) -> str:
        short = self.service.rsplit(".", 1)[-1]
        return f"{short}_{self.method}" + ("_" + self.http_method.lower() if self.additional else "")


def load_descriptors(package: str = "alcor.v1") -> list[_d.FileDescriptor]:
    """The file descriptors of every generated *_pb2 module in package."""
    pkg = importlib.import_module(package)
    files = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.endswith("_pb2"):
            files.append(importlib.import_module(f"{package}.{info.name}").DESCRIPTOR)
    return files


def http_rules(files: list[_d.FileDescriptor]) -> list[tuple[_d.MethodDescriptor, http_pb2.HttpRule, bool]]:
    """(method, rule, is_additional) for every annotated RPC, in file order."""
    out = []
    for f in files:
        for svc in f.services_by_name.values():
            for m in svc.methods:
                opts = m.GetOptions()
                if not opts.HasExtension(annotations_pb2.http):
                    continue
                rule = opts.Extensions[annotations_pb2.http]
                out.append((m, rule, False))
                for extra in rule.additional_bindings:
                    if extra.additional_bindings:
                        raise RouteError(f"{m.full_name}: nested additional_bindings")
                    out.append((m, extra, True))
    return out


def _verb_and_path(rule: http_pb2.HttpRule, where: str) -> tuple[str, str]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        raise RouteError(f"{where}: http rule without a pattern")
    if kind == "custom":
        return rule.custom.kind.upper(), rule.custom.path
    return kind.upper(), getattr(rule, kind)


def _resolve_path(desc: _d.Descriptor, path: tuple[str, ...], where: str) -> FD:
    fd = None
    for i, name in enumerate(path):
        fd = desc.fields_by_name.get(name)
        if fd is None:
            raise RouteError(f"{where}: {'.'.join(path)} is not a field of {desc.full_name}")
        if i < len(path) - 1:
            if fd.type != FD.TYPE_MESSAGE or fd.is_repeated:
                raise RouteError(f"{where}: {'.'.join(path[:i + 1])} is not a singular message")
            desc = fd.message_type
    assert fd is not None
    if fd.is_repeated or fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
        raise RouteError(f"{where}: path variable {'.'.join(path)} must be a singular scalar")
    return fd


def _is_mask(fd: FD) -> bool:
    return (fd.name == MASK_FIELD and fd.message_type is not None
            and fd.message_type.full_name == "google.protobuf.FieldMask" and not fd.is_repeated)


def _is_revision(fd: FD) -> bool:
    return fd.name == REVISION_FIELD and not fd.is_repeated and codec.int_range(fd) is not None


def _keys(fd: FD) -> set[str]:
    return {fd.name, fd.json_name}


def response_printer(desc: _d.Descriptor, printers: codec.Printers) -> tuple[Callable, tuple, tuple]:
    """A printer for a response message. Inside resources every attribute is
    printed; at the top level only what the service set, except that when no
    resource field is set at all (an empty list) the repeated resource fields
    print as [] -- so {"port": ...} never grows a "ports": [], and a list is
    always a list. Link fields print only when there are links. A response
    without resource fields prints whole, like a resource."""
    convert = {fd.number: (fd.json_name, printers.value(fd)) for fd in desc.fields}
    scalar_defaults = {fd.json_name: printers.scalar(fd)(fd.default_value) for fd in desc.fields
                       if not fd.is_repeated and not fd.has_presence and fd.type != FD.TYPE_MESSAGE}
    links = tuple(fd.json_name for fd in desc.fields
                  if fd.is_repeated and fd.type == FD.TYPE_MESSAGE and fd.json_name.endswith(LINKS_SUFFIX))
    resources = tuple(fd.json_name for fd in desc.fields
                      if fd.type == FD.TYPE_MESSAGE and fd.json_name not in links)
    empty_lists = tuple(fd.json_name for fd in desc.fields if fd.is_repeated and fd.json_name in resources)
    if not resources:
        # A flat answer (add_router_interface's, say) is itself the resource.
        return printers(desc), resources, links

    def print_response(m: Message) -> dict:
        out = dict(scalar_defaults)
        for fd, value in m.ListFields():
            name, conv = convert[fd.number]
            out[name] = conv(value)
        if empty_lists and not any(r in out for r in resources):
            for name in empty_lists:
                out[name] = []
        return out

    return print_response, resources, links


def build_route(m: _d.MethodDescriptor, rule: http_pb2.HttpRule, additional: bool,
                printers: codec.Printers) -> Route:
    where = m.full_name
    if m.client_streaming or m.server_streaming:
        raise RouteError(f"{where}: streaming RPCs cannot be transcoded")
    verb, path = _verb_and_path(rule, where)
    try:
        template = compile_template(path)
    except TemplateError as e:
        raise RouteError(f"{where}: {e}") from None
    req_desc, resp_desc = m.input_type, m.output_type
    path_fields = [(v.field_path, codec.query_converter(_resolve_path(req_desc, v.field_path, where)))
                   for v in template.variables]
    path_top = {v.field_path[0] for v in template.variables}

    body = rule.body
    if body and body != "*":
        fd = req_desc.fields_by_name.get(body)
        if fd is None:
            raise RouteError(f"{where}: body field {body!r} is not a field of {req_desc.full_name}")
        if body in path_top:
            raise RouteError(f"{where}: body field {body!r} is also bound by the path")
    if rule.response_body:
        raise RouteError(f"{where}: response_body is not supported (Neutron answers whole messages)")
    if verb == "GET" and body:
        raise RouteError(f"{where}: a GET cannot have a body")

    mask_fd = next((fd for fd in req_desc.fields if _is_mask(fd)), None)
    rev_fd = next((fd for fd in req_desc.fields if _is_revision(fd)), None)
    filled = {fd.name for fd in (mask_fd, rev_fd) if fd is not None}

    mask = None
    if mask_fd is not None and body:
        if body == "*":
            candidates = [fd for fd in req_desc.fields if fd.type == FD.TYPE_MESSAGE
                          and not fd.is_repeated and fd.name not in filled and fd.name not in path_top]
            if len(candidates) != 1:
                raise RouteError(f"{where}: cannot tell which field update_mask describes "
                                 f"({[c.name for c in candidates]})")
            resource_fd = candidates[0]
        else:
            resource_fd = req_desc.fields_by_name[body]
        if resource_fd.type != FD.TYPE_MESSAGE:
            raise RouteError(f"{where}: update_mask needs a message body")
        keymap = {}
        for fd in resource_fd.message_type.fields:
            keymap[fd.json_name] = fd.name
            keymap[fd.name] = fd.name
        mask = (resource_fd.name, keymap)

    query: dict[str, tuple[FD, Callable]] = {}
    if body != "*":
        for fd in req_desc.fields:
            if fd.name in path_top or fd.name == body or fd.name in filled:
                continue
            if fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
                continue  # not addressable from a query string
            conv = codec.query_converter(fd)
            for k in _keys(fd):
                query[k] = (fd, conv)

    forbidden = set()
    for fd in req_desc.fields:
        if fd.name in path_top or fd.name in filled:
            forbidden |= _keys(fd)

    printer, resources, links = response_printer(resp_desc, printers)
    status = {"POST": 201, "DELETE": 204}.get(verb, 200)
    return Route(
        http_method=verb, template=template, service=m.containing_service.full_name,
        method=m.name, request_cls=message_factory.GetMessageClass(req_desc),
        response_cls=message_factory.GetMessageClass(resp_desc), body=body,
        path_fields=path_fields, query_fields=query, body_forbidden=frozenset(forbidden),
        mask=mask, if_revision=rev_fd is not None, status=status, print_response=printer,
        resource_fields=resources, link_fields=links, additional=additional,
        batch=batch_twin(m),
    )


def build_routes(files: list[_d.FileDescriptor] | None = None) -> list[Route]:
    files = load_descriptors() if files is None else files
    printers = codec.Printers()
    routes = [build_route(m, rule, extra, printers) for m, rule, extra in http_rules(files)]
    seen: dict[tuple[str, str], str] = {}
    for r in routes:
        key = (r.http_method, r.template.regex.pattern)
        if key in seen:
            raise RouteError(f"{r.rpc} and {seen[key]} both bind {r.http_method} {r.template.source}")
        seen[key] = r.rpc
    return routes


class Router:
    """Finds the route of a request: literal paths by dict, the others by
    their compiled templates in annotation order."""

    def __init__(self, routes: list[Route]):
        self.routes = routes
        self._literal: dict[str, dict[str, Route]] = {}
        self._patterned: list[tuple[Template, dict[str, Route]]] = []
        by_template: dict[str, dict[str, Route]] = {}
        for r in routes:
            if r.template.literal:
                self._literal.setdefault(r.template.source, {})[r.http_method] = r
            else:
                if r.template.regex.pattern not in by_template:
                    by_template[r.template.regex.pattern] = {}
                    self._patterned.append((r.template, by_template[r.template.regex.pattern]))
                by_template[r.template.regex.pattern][r.http_method] = r

    def match(self, method: str, raw_path: str) -> tuple[Route | None, dict, set[str]]:
        """(route, path variables, allowed methods). No route and no allowed
        methods: no such path (404); no route but allowed methods: 405."""
        allowed: set[str] = set()
        lit = self._literal.get(raw_path)
        if lit is not None:
            r = lit.get(method)
            if r is not None:
                return r, {}, set()
            allowed |= lit.keys()
        for template, by_method in self._patterned:
            r = by_method.get(method)
            if r is None and not (by_method.keys() - allowed):
                continue
            values = template.match(raw_path)
            if values is None:
                continue
            if r is not None:
                return r, values, set()
            allowed |= by_method.keys()
        return None, {}, allowed
