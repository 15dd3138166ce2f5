"""GET /openapi.json, generated from the same routes the gateway serves.

OpenAPI 3.1 (JSON Schema 2020-12). One schema per message under
components/schemas, properties named by JSON name. What the gateway accepts is
what the document says: request objects reject unknown properties, null is
accepted wherever json_format accepts it (everywhere: it means "unset"),
int64 is a JSON integer. Every operation lists its success answer, the
Neutron errors it can give, and a NeutronError default.
"""
from __future__ import annotations

from google.protobuf import descriptor as _d

from gateway import codec
from gateway.neutron import PREFIX
from gateway.routes import LINKS_SUFFIX, Route
from gateway.transcode import FIELDS_PARAM

FD = _d.FieldDescriptor
ERROR_REF = {"$ref": "#/components/schemas/NeutronError"}

_WELL_KNOWN = {
    "google.protobuf.Struct": {"type": "object"},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, dict] = {}

    def scalar(self, fd: FD) -> dict:
        if fd.type == FD.TYPE_MESSAGE:
            name = fd.message_type.full_name
            if name in _WELL_KNOWN:
                return dict(_WELL_KNOWN[name])
            self.message(fd.message_type)
            return {"$ref": f"#/components/schemas/{name}"}
        if fd.type == FD.TYPE_STRING:
            return {"type": "string"}
        if fd.type == FD.TYPE_BOOL:
            return {"type": "boolean"}
        if fd.type == FD.TYPE_BYTES:
            return {"type": "string", "contentEncoding": "base64"}
        if fd.type == FD.TYPE_ENUM:
            return {"type": "string", "enum": [v.name for v in fd.enum_type.values]}
        if fd.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return {"type": "number"}
        lo, hi = codec.int_range(fd)
        fmt = "int64" if hi > 2**32 else "int32"
        return {"type": "integer", "format": fmt, "minimum": lo, "maximum": hi}

    def field(self, fd: FD, nullable: bool) -> dict:
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            s = {"type": "object",
                 "additionalProperties": self.scalar(fd.message_type.fields_by_name["value"])}
        elif fd.is_repeated:
            s = {"type": "array", "items": self.scalar(fd)}
        else:
            s = self.scalar(fd)
        if nullable and s:
            s = {"anyOf": [s, {"type": "null"}]}
        return s

    def message(self, desc: _d.Descriptor) -> str:
        name = desc.full_name
        if name in self.components:
            return name
        self.components[name] = {}  # reserve: recursive types
        props = {fd.json_name: self.field(fd, nullable=False) for fd in desc.fields
                 if fd.name != codec.EMPTY_LISTS}  # input only
        self.components[name] = {"type": "object", "properties": props}
        # Input variant: what a request may carry (null anywhere, nothing unknown).
        in_props = {}
        for fd in desc.fields:
            s = self.field(fd, nullable=True)
            in_props[fd.json_name] = _inputs(s)
        self.components[name + ".Input"] = {"type": "object", "properties": in_props,
                                            "additionalProperties": False}
        return name


def _inputs(schema: dict) -> dict:
    """The request form of an output schema: $refs point at the .Input
    variants, and numbers may also come as decimal strings (proto3 JSON)."""
    if "$ref" in schema:
        return {"$ref": schema["$ref"] + ".Input"}
    if schema.get("type") == "integer":
        return {"anyOf": [schema, {"type": "string", "pattern": "^-?[0-9]{1,20}$"}]}
    if schema.get("type") == "number":
        return {"anyOf": [schema, {"type": "string"}]}
    out = {}
    for k, v in schema.items():
        if isinstance(v, dict):
            out[k] = _inputs(v)
        elif isinstance(v, list):
            out[k] = [_inputs(x) if isinstance(x, dict) else x for x in v]
        else:
            out[k] = v
    return out


def _query_params(route: Route, s: _Schemas) -> list[dict]:
    params, seen = [], set()
    for fd, _ in route.query_fields.values():
        if fd.name in seen:
            continue
        seen.add(fd.name)
        schema = s.field(fd, nullable=False)
        p = {"name": fd.json_name, "in": "query", "required": False, "schema": schema}
        if fd.is_repeated:
            p.update(style="form", explode=True)
        params.append(p)
    if route.http_method == "GET" and FIELDS_PARAM not in route.query_fields:
        params.append({"name": FIELDS_PARAM, "in": "query", "required": False, "style": "form",
                       "explode": True, "schema": {"type": "array", "items": {"type": "string"}}})
    return params


def _errors(route: Route) -> dict:
    codes = {"400": "Invalid request (malformed JSON, wrong types, unknown fields or parameters)",
             "404": "Not found (or another project's)",
             "503": "A backend service is unavailable"}
    if route.http_method in ("POST", "PUT", "DELETE"):
        codes["409"] = "Conflict with the current state"
    if route.if_revision:
        codes["412"] = "If-Match revision does not match"
    if route.body:
        codes["413"] = "Request body too large"
    return {code: {"description": d, "content": {"application/json": {"schema": ERROR_REF}}}
            for code, d in codes.items()}


def _operation(route: Route, s: _Schemas, token_mode: bool) -> dict:
    req = route.request_cls.DESCRIPTOR
    params = [{"name": ".".join(path), "in": "path", "required": True,
               "schema": s.scalar(_leaf(req, path))} for path, _ in route.path_fields]
    params += _query_params(route, s)
    if route.if_revision:
        params.append({"name": "If-Match", "in": "header", "required": False,
                       "description": "revision_number=N: apply only at that revision",
                       "schema": {"type": "string", "pattern": "^revision_number=[1-9][0-9]{0,17}$"}})
    op: dict = {
        "operationId": route.operation_id,
        "tags": [route.service.rsplit(".", 1)[-1]],
        "summary": f"{route.service}.{route.method}",
        "parameters": params,
        "responses": {},
    }
    if route.body:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _body_schema(route, s)}}}
    if route.status == 204:
        op["responses"]["204"] = {"description": "Done"}
    else:
        props = {}
        for fd in route.response_cls.DESCRIPTOR.fields:
            props[fd.json_name] = s.field(fd, nullable=False)
        op["responses"][str(route.status)] = {
            "description": "OK",
            "content": {"application/json": {"schema": {"type": "object", "properties": props}}}}
    op["responses"].update(_errors(route))
    if token_mode:
        op["responses"]["401"] = {"description": "Missing or unknown X-Auth-Token",
                                  "content": {"application/json": {"schema": ERROR_REF}}}
    op["responses"]["default"] = {"description": "Error",
                                  "content": {"application/json": {"schema": ERROR_REF}}}
    return op


def _body_schema(route: Route, s: _Schemas) -> dict:
    """The request body. Two conventions of the contract make it precise:
    a create carries exactly one of a singular resource and a non-empty list
    of them (a singular and a repeated field of one message type), and an
    update names at least one attribute of its resource (the update_mask
    field's resource)."""
    req = route.request_cls.DESCRIPTOR
    if route.body != "*":
        schema = _inputs(s.field(req.fields_by_name[route.body], nullable=False))
        return {**schema, "minProperties": 1} if route.mask else schema
    fields = [fd for fd in req.fields if fd.json_name not in route.body_forbidden]
    props = {fd.json_name: _inputs(s.field(fd, nullable=True)) for fd in fields}
    schema: dict = {"type": "object", "properties": props, "additionalProperties": False}
    pairs = [(one, many) for one in fields for many in fields
             if one.type == FD.TYPE_MESSAGE and not one.is_repeated and many.is_repeated
             and many.message_type is one.message_type]
    if len(pairs) == 1:
        one, many = pairs[0]
        ref = _inputs(s.scalar(one))
        props[one.json_name] = ref
        props[many.json_name] = {"type": "array", "items": ref, "minItems": 1}
        schema["oneOf"] = [{"required": [one.json_name]}, {"required": [many.json_name]}]
    elif route.mask is not None:
        resource = req.fields_by_name[route.mask[0]]
        props[resource.json_name] = {**_inputs(s.scalar(resource)), "minProperties": 1}
        schema["required"] = [resource.json_name]
    return schema


def _leaf(desc: _d.Descriptor, path: tuple[str, ...]) -> FD:
    fd = None
    for name in path:
        fd = desc.fields_by_name[name]
        desc = fd.message_type
    return fd


def _native_paths() -> dict:
    link = {"type": "object", "properties": {"rel": {"type": "string"}, "href": {"type": "string"}}}

    def ok(schema: dict) -> dict:
        return {"200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                "default": {"description": "Error", "content": {"application/json": {"schema": ERROR_REF}}}}

    ext = {"type": "object", "properties": {k: {"type": "string"} for k in
                                            ("alias", "name", "description", "updated")}}
    resources = ok({"type": "object", "properties": {"resources": {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string"}, "collection": {"type": "string"},
                                         "links": {"type": "array", "items": link}}}}}})
    return {
        "/": {"get": {"operationId": "versions", "tags": ["Neutron"], "parameters": [],
                      "responses": ok({"type": "object", "properties": {"versions": {"type": "array"}}})}},
        PREFIX: {"get": {"operationId": "resources", "tags": ["Neutron"], "parameters": [],
                         "responses": resources}},
        PREFIX + "/extensions": {"get": {
            "operationId": "extensions", "tags": ["Neutron"], "parameters": [],
            "responses": ok({"type": "object", "properties": {"extensions": {"type": "array", "items": ext}}})}},
        PREFIX + "/extensions/{alias}": {"get": {
            "operationId": "extension", "tags": ["Neutron"],
            "parameters": [{"name": "alias", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {**ok({"type": "object", "properties": {"extension": ext}}),
                          "404": {"description": "No such extension",
                                  "content": {"application/json": {"schema": ERROR_REF}}}}}},
    }


def document(routes: list[Route], token_mode: bool = False) -> dict:
    s = _Schemas()
    paths = _native_paths()
    for r in routes:
        paths.setdefault(r.template.openapi_path, {})[r.http_method.lower()] = _operation(r, s, token_mode)
    s.components["NeutronError"] = {
        "type": "object", "required": ["NeutronError"],
        "properties": {"NeutronError": {
            "type": "object", "required": ["type", "message", "detail"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"},
                           "detail": {"type": "string"}}}}}
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Alcor Neutron-compatible API", "version": "2.0",
                 "description": "Generated from the google.api.http annotations of alcor.v1. "
                                f"Lists follow Neutron: filters by attribute, {FIELDS_PARAM}=, "
                                "limit/marker, sort_key/sort_dir; <collection>" + LINKS_SUFFIX +
                                " carry the next page."},
        "paths": paths,
        "components": {"schemas": dict(sorted(s.components.items()))},
    }
    if token_mode:
        doc["components"]["securitySchemes"] = {
            "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}
        doc["security"] = [{"token": []}]
    return doc
