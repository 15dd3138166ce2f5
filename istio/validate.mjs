// Validates Istio objects against Istio's own CRD schemas, offline.
//
// The schemas are those of Istio's CRDs (crd-all.gen.yaml) as compiled by
// @kubernetes-models/istio (pinned in package.json). A CRD's structural schema
// does not reject unknown fields (the API server prunes them, and warns, or
// fails under `kubectl apply --validate=strict`), so neither do the compiled
// validators; this script adds that check: every object is validated through
// a Proxy that records which properties the validator looked at, and a field
// of an object whose schema names properties that the validator never looked
// at is unknown. Objects the validator enumerates (maps) or never looks into
// (x-kubernetes-preserve-unknown-fields, e.g. an EnvoyFilter patch) are free.
//
// stdin: a JSON array of objects. stdout: a JSON array, per object,
// {kind, name, errors: [..], unknown: ["/spec/http/0/retires", ..]}.
// CEL rules (x-kubernetes-validations) are not evaluated here.

import { readFileSync } from "node:fs";

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.split("/");
  const mod = await import(`@kubernetes-models/istio/${group}/${version}/${kind}`);
  return mod[kind];
}

function tracker() {
  const entries = new Map(); // object -> {path, read: Set, enumerated}
  const proxies = new WeakMap();
  function wrap(value, path) {
    if (!value || typeof value !== "object") return value;
    if (proxies.has(value)) return proxies.get(value);
    let proxy;
    if (Array.isArray(value)) {
      proxy = new Proxy(value, {
        get(t, k, r) {
          const v = Reflect.get(t, k, r);
          return typeof k === "string" && /^\d+$/.test(k) ? wrap(v, `${path}/${k}`) : v;
        },
      });
    } else {
      const entry = { path, read: new Set(), enumerated: false, obj: value };
      entries.set(value, entry);
      const note = (k) => { if (typeof k === "string") entry.read.add(k); };
      proxy = new Proxy(value, {
        get(t, k, r) {
          note(k);
          const v = Reflect.get(t, k, r);
          return typeof k === "string" && Object.hasOwn(t, k) ? wrap(v, `${path}/${k}`) : v;
        },
        has(t, k) { note(k); return Reflect.has(t, k); },
        getOwnPropertyDescriptor(t, k) { note(k); return Reflect.getOwnPropertyDescriptor(t, k); },
        ownKeys(t) { entry.enumerated = true; return Reflect.ownKeys(t); },
      });
    }
    proxies.set(value, proxy);
    return proxy;
  }
  function unknown() {
    const out = [];
    for (const e of entries.values()) {
      if (e.enumerated || e.read.size === 0) continue;
      for (const k of Object.keys(e.obj)) {
        if (!e.read.has(k)) out.push(`${e.path}/${k}`);
      }
    }
    return out.sort();
  }
  return { wrap, unknown };
}

const docs = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const doc of docs) {
  const result = { kind: doc.kind, name: doc.metadata?.name ?? "", errors: [], unknown: [] };
  let Model;
  try {
    Model = await modelFor(doc.apiVersion, doc.kind);
  } catch (e) {
    result.errors.push(`no Istio schema for ${doc.apiVersion} ${doc.kind}: ${e.message}`);
    results.push(result);
    continue;
  }
  // The model's validate() runs the compiled CRD schema on `this`.
  const t = tracker();
  try {
    Model.prototype.validate.call(t.wrap(structuredClone(doc), ""));
  } catch (e) {
    result.errors.push(e.message);
  }
  result.unknown = t.unknown().filter((p) => !/^\/(apiVersion|kind)$/.test(p));
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
