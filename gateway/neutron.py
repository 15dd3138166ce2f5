"""What Neutron v2.0 clients expect beyond the transcoded RPCs, as pure
functions: the version document, the resource index of /v2.0, the extension
list, fields= projection and absolute pagination links."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from gateway.routes import Route

VERSION = "v2.0"
PREFIX = "/" + VERSION

# Only what the gateway and services really implement. Clients probe some of
# these (the CLI asks for tag-ports-during-bulk-creation, which is absent: it
# then tags after creating).
EXTENSIONS: list[dict] = [
    {"alias": "alcor-nodes", "name": "Alcor nodes",
     "description": "The host registry: /v2.0/nodes, named by ports' binding:host_id."},
    {"alias": "binding", "name": "Port Binding",
     "description": "Expose port bindings of a virtual port to external application."},
    {"alias": "filter-validation", "name": "Filter parameters validation",
     "description": "Unknown query parameters are rejected with 400."},
    {"alias": "net-mtu", "name": "Network MTU", "description": "Provides MTU attribute for a network resource."},
    {"alias": "net-mtu-writable", "name": "Network MTU (writable)",
     "description": "Provides a writable MTU attribute for a network resource."},
    {"alias": "pagination", "name": "Pagination support", "description": "Extension that indicates that pagination is enabled."},
    {"alias": "project-id", "name": "project_id field enabled",
     "description": "Extension that indicates that project_id field is enabled."},
    {"alias": "provider", "name": "Provider Network",
     "description": "Expose mapping of virtual networks to physical networks (vxlan only)."},
    {"alias": "revision-if-match", "name": "If-Match constraints based on revision_number",
     "description": "Extension indicating that If-Match based on revision_number is supported."},
    {"alias": "sorting", "name": "Sorting support", "description": "Extension that indicates that sorting is enabled."},
    {"alias": "standard-attr-description", "name": "standard-attr-description",
     "description": "Extension to add descriptions to standard attributes"},
    {"alias": "standard-attr-revisions", "name": "Resource revision numbers",
     "description": "This extension will display the revision number of neutron resources."},
    {"alias": "standard-attr-timestamp", "name": "Resource timestamps",
     "description": "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes."},
]
# Extensions that come with a collection: listed only when the descriptors
# route it (alias -> the collection's path).
RESOURCE_EXTENSIONS: list[tuple[str, dict]] = [
    ("/v2.0/routers", {"alias": "router", "name": "Neutron L3 Router",
                       "description": "Router abstraction for routing between subnets (distributed)."}),
    ("/v2.0/security-groups", {"alias": "security-group", "name": "security-group",
                               "description": "The security groups extension."}),
]


def extensions(routes: list[Route]) -> list[dict]:
    """The extension documents this gateway's routes support."""
    paths = {r.template.source for r in routes}
    out = [dict(e) for e in EXTENSIONS]
    out += [dict(e) for path, e in RESOURCE_EXTENSIONS if path in paths]
    for e in out:
        e.setdefault("updated", "2024-01-01T00:00:00-00:00")
        e.setdefault("links", [])
    return sorted(out, key=lambda e: e["alias"])


def version_document(base: str) -> dict:
    return {"versions": [{"id": VERSION, "status": "CURRENT",
                          "links": [{"rel": "self", "href": f"{base}{PREFIX}/"}]}]}


def resource_index(routes: list[Route]) -> list[tuple[str, str]]:
    """(singular, collection) of every /v2.0/<collection> with a list route,
    the singular taken from the resource field of its GET-by-id response."""
    out = []
    for r in routes:
        parts = r.template.source.split("/")
        if r.http_method != "GET" or len(parts) != 3 or parts[1] != VERSION or not r.template.literal:
            continue
        collection = parts[2]
        singular = collection[:-1] if collection.endswith("s") else collection
        for g in routes:
            if g.http_method == "GET" and g.template.source.startswith(f"{PREFIX}/{collection}/{{") \
                    and g.template.source.count("/") == 3 and len(g.resource_fields) == 1:
                singular = g.resource_fields[0]
        out.append((singular, collection))
    return sorted(set(out))


def resources_document(base: str, index: list[tuple[str, str]]) -> dict:
    return {"resources": [{"name": s, "collection": c,
                           "links": [{"rel": "self", "href": f"{base}{PREFIX}/{c}"}]}
                          for s, c in index]}


def select_fields(body: dict, resource_fields: tuple[str, ...], fields: list[str]) -> dict:
    """Keeps only the asked attributes of each resource (fields=a&fields=b);
    links and other top-level keys stay."""
    wanted = set(fields)
    for name in resource_fields:
        value = body.get(name)
        if isinstance(value, dict):
            body[name] = {k: v for k, v in value.items() if k in wanted}
        elif isinstance(value, list):
            body[name] = [{k: v for k, v in item.items() if k in wanted} for item in value]
    return body


def absolute_links(body: dict, link_fields: tuple[str, ...], base: str, path: str,
                   query: list[tuple[str, str]]) -> dict:
    """Services write hrefs as a bare query ("?limit=2&marker=X"); clients
    need the full URL of the same collection with the caller's filters."""
    for name in link_fields:
        links = body.get(name)
        if not links:
            continue
        for link in links:
            href = link.get("href", "")
            if not href.startswith("?"):
                continue
            service = parse_qsl(href[1:], keep_blank_values=True)
            theirs = {k for k, _ in service}
            merged = [(k, v) for k, v in query if k not in theirs] + service
            link["href"] = f"{base}{path}?{urlencode(merged)}"
    return body
