"""What the code really calls, read from its source, so the mesh's
AuthorizationPolicies can be held against it (tests/test_istio_*.py).

For one package (svc_port, gateway, agent...), found with `ast` and the
alcor.v1 descriptors, never by running it:
  calls    the alcor.v1 gRPC services it calls: every *ServiceStub it builds,
           every "/alcor.v1.Service/Method" path it names, and, when it binds
           calls from google.api.http annotations (a generated REST gateway),
           every service that has such annotations;
  serves   the services it registers (add_*Servicer_to_server);
  etcd     whether it talks to etcd: imports runtime.store or aetcd, or runs
           runtime.server's bootstrap (run/serve), which opens a Store.
A package is a workload once it has a __main__.py (what LocalCluster and the
chart start); until then what it calls is not known.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from google.api import annotations_pb2

from mesh.policy import ROOT

_PATH = re.compile(r"^/?(alcor\.v1\.[A-Za-z0-9_]+)/[A-Za-z0-9_]+$")
_ETCD_MODULES = ("runtime.store", "runtime.server.run", "runtime.server.serve", "aetcd")
_HTTP_ANNOTATION_MODULES = ("google.api.annotations_pb2", "google.api.http_pb2")


@dataclass(frozen=True)
class GrpcService:
    full_name: str  # alcor.v1.NetworkService
    methods: tuple[str, ...]
    streaming: tuple[str, ...]  # methods with a client or server stream
    http_annotated: bool  # some method has a google.api.http rule


@cache
def grpc_services() -> dict[str, GrpcService]:
    """Every gRPC service of the alcor.v1 protos, from the generated descriptors."""
    import alcor.v1 as pkg

    out = {}
    for m in pkgutil.iter_modules(pkg.__path__):
        if not m.name.endswith("_pb2"):
            continue
        mod = importlib.import_module(f"alcor.v1.{m.name}")
        for svc in mod.DESCRIPTOR.services_by_name.values():
            out[svc.full_name] = GrpcService(
                full_name=svc.full_name,
                methods=tuple(x.name for x in svc.methods),
                streaming=tuple(x.name for x in svc.methods if x.client_streaming or x.server_streaming),
                http_annotated=any(x.GetOptions().HasExtension(annotations_pb2.http) for x in svc.methods),
            )
    return out


def _by_short_name() -> dict[str, str]:
    return {name.rsplit(".", 1)[1]: name for name in grpc_services()}


@dataclass(frozen=True)
class PackageCalls:
    package: str
    implemented: bool  # has a __main__.py
    calls: frozenset[str]
    serves: frozenset[str]
    etcd: bool


def _callable_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _imports(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def scan(package: str, root: Path = ROOT) -> PackageCalls:
    short = _by_short_name()
    files = sorted((root / package).rglob("*.py"))
    calls: set[str] = set()
    serves: set[str] = set()
    imports: set[str] = set()
    binds_by_path = False
    for path in files:
        tree = ast.parse(path.read_text(), str(path))
        imports |= _imports(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = _callable_name(node)
                if name.endswith("Stub") and name[:-4] in short:
                    calls.add(short[name[:-4]])
                m = re.fullmatch(r"add_(\w+)Servicer_to_server", name)
                if m and m.group(1) in short:
                    serves.add(short[m.group(1)])
                if name in ("unary_unary", "unary_stream", "stream_unary", "stream_stream"):
                    binds_by_path = True
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                m = _PATH.match(node.value)
                if m and m.group(1) in grpc_services():
                    calls.add(m.group(1))
    if binds_by_path and any(i.startswith(_HTTP_ANNOTATION_MODULES) for i in imports):
        calls |= {s.full_name for s in grpc_services().values() if s.http_annotated}
    return PackageCalls(
        package=package,
        implemented=(root / package / "__main__.py").exists(),
        calls=frozenset(calls - serves),
        serves=frozenset(serves),
        etcd=any(i == m or i.startswith(m + ".") for i in imports for m in _ETCD_MODULES),
    )
