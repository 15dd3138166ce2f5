"""Renders the chart with the real Helm engine (helm-python-sdk, Helm's Go
SDK in a wheel; no helm binary, no cluster), and writes the Istio part of it
to istio/alcor-istio.yaml, the standalone copy for `kubectl apply -f`.

  python -m mesh.istio                 rewrite istio/alcor-istio.yaml (default values)
  python -m mesh.istio -f my.yaml -n ns --out -   the Istio manifests for your values, to stdout

The chart's templates/istio/ are the only source of these manifests; the
copy is checked for drift by tests/test_istio_manifests.py."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from mesh.policy import CHART, ROOT, load_values

ISTIO_COPY = ROOT / "istio" / "alcor-istio.yaml"
RELEASE, NAMESPACE = "alcor", "alcor"


def render(values: dict | None = None, namespace: str = NAMESPACE, release: str = RELEASE) -> dict[str, str]:
    """Template path -> rendered text, for the chart with `values` merged over its defaults."""
    import helm_python as helm

    with helm.Chart.load(str(CHART)) as chart:
        return chart.render(values, name=release, namespace=namespace)


def documents(rendered: dict[str, str], istio: bool | None = None) -> list[dict]:
    """The objects of a render, in template order; `istio` keeps only (or drops) Istio kinds."""
    docs = []
    for path in sorted(rendered):
        for doc in yaml.safe_load_all(rendered[path]):
            if not doc:
                continue
            if istio is None or istio == doc["apiVersion"].split("/")[0].endswith("istio.io"):
                docs.append(doc)
    return docs


def istio_yaml(values: dict | None = None, namespace: str = NAMESPACE) -> str:
    rendered = render(values, namespace)
    texts = [rendered[p].strip() for p in sorted(rendered)
             if "/templates/istio/" in p and rendered[p].strip()]
    header = (f"# DO NOT EDIT: rendered by `python -m mesh.istio` from helm/alcor/templates/istio\n"
              f"# with the chart's default values, release {RELEASE!r}, namespace {namespace!r}.\n"
              "# Apply with: kubectl apply -n alcor -f istio/alcor-istio.yaml\n")
    return header + "\n".join(t if t.startswith("---") else "---\n" + t for t in texts) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mesh.istio", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-f", "--values", action="append", default=[], help="values file merged over the defaults")
    ap.add_argument("-n", "--namespace", default=NAMESPACE)
    ap.add_argument("--out", default=str(ISTIO_COPY), help="file to write, - for stdout")
    args = ap.parse_args(argv)
    overrides = load_values(*args.values) if args.values else None
    text = istio_yaml(overrides, args.namespace)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
