"""The ASGI application: one generic handler for every route.

Per request: find the route, authenticate, build the request message, call
the owning service over its long-lived channel with the caller's deadline,
request id, project and roles (the client interceptor forwards them with the
trace context; concurrent requests of a route with a batch twin go together,
see gateway/coalesce.py), print the response through its precompiled printer, and map
any failure to a Neutron error. Nothing here knows a resource by name.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import quote

import grpc
import orjson
from opentelemetry import trace

from gateway import neutron, openapi
from gateway.auth import Authenticator
from gateway.coalesce import Coalescer
from gateway.config import GatewaySettings
from gateway.errors import HttpError, from_rpc_error, neutron_error
from gateway.headers import grpc_timeout, idempotency_key, if_match_revision, request_id
from gateway.routes import Route, Router, build_routes
from gateway.transcode import build_request, parse_query, requested_fields
from runtime import context, tracing
from runtime.clients import channel

log = logging.getLogger("alcor.gateway")

_HOST = re.compile(r"^[A-Za-z0-9.\-_:\[\]]{1,255}$")
_JSON = (b"content-type", b"application/json")
_EXT_PREFIX = neutron.PREFIX + "/extensions/"


class Gateway:
    def __init__(self, settings: GatewaySettings, routes: list[Route] | None = None):
        self.settings = settings
        self.routes = build_routes() if routes is None else routes
        self.router = Router(self.routes)
        self.auth = Authenticator(settings.token_file, settings.default_project)
        self.resource_index = neutron.resource_index(self.routes)
        self.extensions = neutron.extensions(self.routes)
        self.extensions_by_alias = {e["alias"]: e for e in self.extensions}
        self.openapi = orjson.dumps(openapi.document(self.routes, token_mode=self.auth.token_mode))
        self.channels: dict[str, grpc.aio.Channel] = {}
        self.tracer = tracing.tracer()

    # --- life cycle ----------------------------------------------------------

    async def start(self) -> None:
        """Binds every route to a channel of its service's address (one
        channel per address). Must run on the serving event loop."""
        if self.channels:
            return
        for r in self.routes:
            address = self.settings.address_of(r.service)
            ch = self.channels.get(address)
            if ch is None:
                ch = self.channels[address] = channel(address, self.settings.rpc_timeout)
            r.call = ch.unary_unary(r.rpc, request_serializer=r.request_cls.SerializeToString,
                                    response_deserializer=r.response_cls.FromString)
            if r.batch is not None:
                r.coalescer = Coalescer(r.call, ch.unary_unary(
                    r.batch.rpc, request_serializer=r.batch.request_cls.SerializeToString,
                    response_deserializer=r.batch.response_cls.FromString), r.batch)

    async def close(self) -> None:
        for ch in self.channels.values():
            await ch.close()
        self.channels.clear()

    # --- ASGI ----------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await self.start()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await self.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope, receive, send) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        rid = request_id(headers)
        extra: dict[str, str] = {}
        try:
            status, body = await self._dispatch(scope, receive, headers, rid)
        except HttpError as e:
            status, body, extra = e.status, orjson.dumps(e.body()), e.headers
            if status >= 500:
                log.warning("%s %s -> %d %s: %s", scope["method"], scope["path"], status, e.type, e.message)
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            status = 500
            body = orjson.dumps(neutron_error(
                "InternalError", "Request failed: internal server error while processing your request."))
        if log.isEnabledFor(logging.DEBUG):
            qs = scope.get("query_string", b"").decode("latin-1")
            log.debug("%s %s%s -> %d", scope["method"], scope["path"], "?" + qs if qs else "", status)
        out = [(b"x-openstack-request-id", rid.encode()), (b"x-request-id", rid.encode())]
        out += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
        if body is None:
            out.append((b"content-length", b"0"))
            body = b""
        else:
            out += [_JSON, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    # --- dispatch ------------------------------------------------------------

    def base_url(self, scope, headers: dict[str, str]) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        host = headers.get("host", "")
        if not _HOST.match(host):
            server = scope.get("server") or ("127.0.0.1", 9696)
            host = f"{server[0]}:{server[1]}"
        return f"{scope.get('scheme', 'http')}://{host}"

    async def _dispatch(self, scope, receive, headers: dict[str, str], rid: str):
        method = scope["method"]
        raw = scope.get("raw_path")
        raw_path = raw.decode("latin-1") if raw else quote(scope["path"])
        if "?" in raw_path:  # some servers leave the query on raw_path
            raw_path = raw_path.split("?", 1)[0]
        query = parse_query(scope.get("query_string", b"").decode("latin-1"))

        native = await self._native(method, raw_path, scope, headers, query)
        if native is not None:
            return 200, native

        try:
            route, values, allowed = self.router.match(method, raw_path)
        except UnicodeDecodeError:
            raise HttpError(400, "HTTPBadRequest", "The path is not valid UTF-8.") from None
        if route is None:
            if allowed:
                raise HttpError(405, "HTTPMethodNotAllowed",
                                f"The method {method} is not allowed for this resource.",
                                headers={"allow": ", ".join(sorted(allowed))})
            raise HttpError(404, "HTTPNotFound", "The resource could not be found.")

        self.auth.check_reload()
        principal = self.auth.authenticate(headers)
        timeout = grpc_timeout(headers.get("grpc-timeout"), self.settings.rpc_timeout,
                               self.settings.max_timeout)
        idem = idempotency_key(headers)
        metadata = ((context.IDEMPOTENCY_KEY, idem),) if idem else None
        body = await self._read_body(receive) if route.body else b""
        request = build_request(route, path_values=values, query=query, body=body, method=method,
                                if_revision=if_match_revision(headers.get("if-match"))
                                if route.if_revision else 0)

        rc = context.RequestContext(request_id=rid, project_id=principal.project_id,
                                    roles=principal.roles)
        with self.tracer.start_as_current_span(
            f"{method} {route.template.source}", context=tracing.extract(headers.items()),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "http.route": route.template.source,
                        "rpc.method": route.rpc, "alcor.request_id": rid},
        ) as span:
            token = context.activate(rc)
            try:
                if route.coalescer is not None:
                    response = await route.coalescer.call(request, timeout=timeout,
                                                          idempotency_key=idem)
                else:
                    response = await route.call(request, timeout=timeout, metadata=metadata)
            except grpc.aio.AioRpcError as e:
                err = from_rpc_error(e)
                span.set_attribute("http.response.status_code", err.status)
                raise err from None
            except HttpError as err:  # a coalesced call's own outcome
                span.set_attribute("http.response.status_code", err.status)
                raise
            finally:
                context.reset(token)
            span.set_attribute("http.response.status_code", route.status)

        if route.status == 204:
            return 204, None
        out = route.print_response(response)
        if route.link_fields:
            neutron.absolute_links(out, route.link_fields, self.base_url(scope, headers), raw_path, query)
        if method == "GET":
            fields = requested_fields(query)
            if fields:
                neutron.select_fields(out, route.resource_fields, fields)
        return route.status, orjson.dumps(out)

    async def _native(self, method: str, raw_path: str, scope, headers, query) -> bytes | None:
        """The documents that are not RPCs: version discovery, the resource
        index, extensions and the OpenAPI description."""
        if method != "GET":
            return None
        if raw_path == "/":
            return orjson.dumps(neutron.version_document(self.base_url(scope, headers)))
        if raw_path == "/openapi.json":
            return self.openapi
        if raw_path in (neutron.PREFIX, neutron.PREFIX + "/"):
            self._authenticate(headers)
            return orjson.dumps(neutron.resources_document(self.base_url(scope, headers),
                                                           self.resource_index))
        if raw_path == neutron.PREFIX + "/extensions":
            self._authenticate(headers)
            return orjson.dumps({"extensions": self.extensions})
        if raw_path.startswith(_EXT_PREFIX) and "/" not in raw_path[len(_EXT_PREFIX):]:
            self._authenticate(headers)
            alias = raw_path[len(_EXT_PREFIX):]
            ext = self.extensions_by_alias.get(alias)
            if ext is None:
                raise HttpError(404, "ExtensionNotFound", f"Extension with alias {alias} does not exist.")
            return orjson.dumps({"extension": ext})
        return None

    def _authenticate(self, headers) -> None:
        self.auth.check_reload()
        self.auth.authenticate(headers)

    async def _read_body(self, receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        limit = self.settings.max_body_bytes
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                raise HttpError(400, "HTTPBadRequest", "The client disconnected.")
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, "HTTPRequestEntityTooLarge",
                                f"Request body larger than {limit} bytes.")
            chunks.append(chunk)
            if not msg.get("more_body", False):
                return b"".join(chunks)
