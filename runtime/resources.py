"""Storage of protobuf resources in etcd: one key per resource, secondary
index keys written in the same transaction, revision_number taken from the
key's mod_revision, and Neutron listing served from the cheapest source (an
id list, an index, or a key-ordered scan from the marker)."""
from __future__ import annotations

import datetime
from typing import AsyncIterator, Awaitable, Callable, Generic, Iterable, Sequence, TypeVar

from google.protobuf.message import Message

from runtime import keys
from runtime.errors import NotFound, PreconditionFailed
from runtime.listing import ListQuery, Page, matches, order, paginate
from runtime.store import KV, Absent, At, Delete, Put, Store, Unit

M = TypeVar("M", bound=Message)
SCAN_PAGE = 1000


def now() -> str:
    """Neutron's timestamp form: UTC, seconds, 'Z'."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class ResourceStore(Generic[M]):
    def __init__(
        self,
        store: Store,
        family: str,
        cls: type[M],
        label: str,
        indexes: Sequence[str] = (),
        enrich: Callable[[list[M]], Awaitable[None]] | None = None,
    ):
        self.store = store
        self.family = family
        self.cls = cls
        self.label = label  # "Port": gives PortNotFound and its message
        self.indexes = tuple(indexes)
        # Fills attributes kept outside the resource's own key (a port's
        # data-plane status) on whatever is read for a caller, before filters.
        self.enrich = enrich
        # Lists are served from a mirror (runtime/mirror.py) when one is set
        # and has caught up; it fills those attributes from its side records.
        self.mirror = None
        self.enrich_from_mirror: Callable[[M, object], None] | None = None
        # (key of a resource's side record, how it fills the resource): a
        # single get reads both at once instead of calling `enrich` after.
        self.side: tuple[Callable[[str], bytes], Callable[[M, KV | None], None]] | None = None
        self._prefix = keys.resources(family)

    # --- encoding ------------------------------------------------------------

    def key(self, resource_id: str) -> bytes:
        return keys.resource(self.family, resource_id)

    def decode(self, kv: KV) -> M:
        m = self.cls.FromString(kv.value)
        m.revision_number = kv.mod_revision
        return m

    def not_found(self, resource_id: str) -> NotFound:
        return NotFound(
            f"{self.label} {resource_id} could not be found.", reason=f"{self.label}NotFound"
        )

    def index_keys(self, m: M) -> set[bytes]:
        out = set()
        for attr in self.indexes:
            value = getattr(m, attr)
            values = value if isinstance(value, (list, tuple)) or hasattr(value, "extend") else [value]
            for v in values:
                if v:
                    out.add(keys.index(self.family, attr, v, m.id))
        return out

    # --- reads ---------------------------------------------------------------

    async def get(self, resource_id: str, visible: Callable[[M], bool] = lambda m: True) -> M:
        side = None
        if not resource_id:
            kv = None
        elif self.side is not None:
            # The resource and its side record in one round trip.
            side_key = self.side[0](resource_id)
            got, _ = await self.store.read(keys=[self.key(resource_id), side_key])
            kv, side = got.get(self.key(resource_id)), got.get(side_key)
        else:
            kv = await self.store.get(self.key(resource_id))
        if kv is None:
            raise self.not_found(resource_id)
        m = self.decode(kv)
        if not visible(m):
            # Another project's resource answers exactly like a missing one.
            raise self.not_found(resource_id)
        if self.side is not None:
            self.side[1](m, side)
        elif self.enrich:
            await self.enrich([m])
        return m

    async def get_many(self, ids: Iterable[str]) -> dict[str, M]:
        ids = list(dict.fromkeys(i for i in ids if i))
        kvs = await self.store.get_many([self.key(i) for i in ids])
        out = {}
        for kv in kvs.values():
            m = self.decode(kv)
            out[m.id] = m
        return out

    async def index_ids(self, attr: str, values: Iterable[str]) -> list[str]:
        ids: set[str] = set()
        for v in values:
            kvs, _ = await self.store.scan(keys.index(self.family, attr, v), keys_only=True)
            ids.update(kv.key.rsplit(b"/", 1)[1].decode() for kv in kvs)
        return sorted(ids)

    async def _by_ids(self, ids: list[str]) -> AsyncIterator[M]:
        for i in range(0, len(ids), SCAN_PAGE):
            got = await self.get_many(ids[i : i + SCAN_PAGE])
            if self.enrich:
                await self.enrich(list(got.values()))
            for rid in ids[i : i + SCAN_PAGE]:
                if rid in got:
                    yield got[rid]

    async def _index_scan(self, attr: str, value: str, after: str,
                          page: int = SCAN_PAGE) -> AsyncIterator[list[str]]:
        """Ids under one index value, in id order, after `after`, in pages."""
        prefix = keys.index(self.family, attr, value)
        start = prefix + after.encode() + b"\0" if after else prefix
        end = keys.prefix_end(prefix)
        while True:
            kvs, more, _ = await self.store.range(start, end, limit=page, keys_only=True)
            if kvs:
                yield [kv.key[len(prefix):].decode() for kv in kvs]
            if not more or not kvs:
                return
            start = kvs[-1].key + b"\0"

    async def _by_ids_stream(self, pages: AsyncIterator[list[str]]) -> AsyncIterator[M]:
        async for ids in pages:
            async for m in self._by_ids(ids):
                yield m

    async def _scan_from(self, after: str, page: int = SCAN_PAGE) -> AsyncIterator[M]:
        start = self.key(after) + b"\0" if after else self._prefix
        end = keys.prefix_end(self._prefix)
        rev = 0
        while True:
            kvs, more, at = await self.store.range(start, end, limit=page, revision=rev)
            rev = rev or at
            items = [self.decode(kv) for kv in kvs]
            if self.enrich:
                await self.enrich(items)
            for m in items:
                yield m
            if not more or not kvs:
                return
            start = kvs[-1].key + b"\0"

    async def _from_mirror(self, mirror, filters, attr, values, simple: bool, marker: str):
        after = marker if simple else ""
        if "id" in filters:
            items = mirror.each(sorted(i for i in filters["id"] if not (after and i <= after)))
        elif attr is not None:
            ids = mirror.ids_by(attr, values[0], after) if len(values) == 1 else sorted(
                {i for v in values for i in mirror.ids_by(attr, v, after)})
            items = mirror.each(ids)
        else:
            items = mirror.after(after)
        enrich = self.enrich_from_mirror
        for m in items:
            if enrich is not None:
                enrich(m, mirror)
            yield m

    async def list(
        self,
        q: ListQuery,
        visible: Callable[[M], bool] = lambda m: True,
        scope: tuple[str, str] | None = None,
    ) -> Page:
        """One page of what the caller may see. `scope` names an index that
        bounds what the caller may see (a non-admin's project), used when no
        filter offers a narrower one."""
        filters = q.filters
        simple = not q.sort and not q.page_reverse
        # A page of `limit` needs limit + 1 items to know there is more:
        # read that many at once, not a page and then another for one item.
        page = min(q.limit + 1, SCAN_PAGE + 1) if simple and q.limit else SCAN_PAGE
        mirror = self.mirror
        from_mirror = mirror is not None and await mirror.caught_up()
        # The mirror may index more than etcd holds index keys for.
        indexes = mirror.indexes if from_mirror else self.indexes
        attr = next((a for a in indexes if a in filters), None)
        if attr is None and scope is not None and scope[0] in indexes:
            attr, values = scope[0], [scope[1]]
        elif attr is not None:
            values = sorted(filters[attr])
        if from_mirror:
            # No await from here to the end of the page: the mirror cannot
            # move under it.
            source = self._from_mirror(mirror, filters, attr, values if attr else [], simple, q.marker)
        elif "id" in filters:
            source = self._by_ids(sorted(i for i in filters["id"] if not (simple and q.marker and i <= q.marker)))
        elif attr is not None and simple and len(values) == 1:
            # Index keys sort by resource id: page through them from the marker.
            source = self._by_ids_stream(self._index_scan(attr, values[0], q.marker, page))
        elif attr is not None:
            ids = await self.index_ids(attr, values)
            if simple and q.marker:
                ids = [i for i in ids if i > q.marker]
            source = self._by_ids(ids)
        else:
            source = self._scan_from(q.marker if simple else "", page)
        if simple:
            # Key order is id order: stop as soon as one item past the page shows.
            items: list[M] = []
            async for m in source:
                if (not q.marker or m.id > q.marker) and visible(m) and matches(m, filters):
                    items.append(m)
                    if q.limit and len(items) > q.limit:
                        break
            more = bool(q.limit) and len(items) > q.limit
            items = items[: q.limit] if q.limit else items
            return Page(items, items[-1].id if more and items else "", "")
        everything = [m async for m in source if visible(m) and matches(m, filters)]
        return paginate(order(everything, q.sort), q)

    # --- writes (as units for the caller to commit, alone or in a batch) ----

    def create_unit(self, m: M) -> Unit:
        return Unit(
            guards=[Absent(self.key(m.id))],
            writes=[Put(self.key(m.id), m.SerializeToString())]
            + [Put(k, b"") for k in sorted(self.index_keys(m))],
        )

    def update_unit(self, new: M, old: M) -> Unit:
        before, after = self.index_keys(old), self.index_keys(new)
        return Unit(
            guards=[At(self.key(old.id), old.revision_number)],
            writes=[Put(self.key(new.id), new.SerializeToString())]
            + [Delete(k) for k in sorted(before - after)]
            + [Put(k, b"") for k in sorted(after - before)],
        )

    def delete_unit(self, m: M) -> Unit:
        return Unit(
            guards=[At(self.key(m.id), m.revision_number)],
            writes=[Delete(self.key(m.id))] + [Delete(k) for k in sorted(self.index_keys(m))],
        )


def check_revision(m: Message, if_revision: int, label: str) -> None:
    """If-Match: the caller's revision must still be the stored one."""
    if if_revision and m.revision_number != if_revision:
        raise PreconditionFailed(
            f"Constrained to revision {if_revision} but {label} {m.id} is at "
            f"revision {m.revision_number}."
        )


def apply_mask(target: Message, source: Message, paths: Iterable[str], allowed: set[str]) -> None:
    """Copies the masked top-level attributes of `source` onto `target`.
    An attribute outside `allowed` cannot be updated."""
    from runtime.errors import InvalidInput

    for path in paths:
        name = path.split(".")[0]
        fd = source.DESCRIPTOR.fields_by_name.get(name)
        if fd is None:
            by_json = {f.json_name: f.name for f in source.DESCRIPTOR.fields}
            name = by_json.get(name, name)
            fd = source.DESCRIPTOR.fields_by_name.get(name)
        if fd is None or name not in allowed:
            raise InvalidInput(f"Cannot update read-only attribute {path}")
        if fd.is_repeated:
            target.ClearField(name)
            getattr(target, name).extend(getattr(source, name))
        elif fd.message_type is not None:
            if source.HasField(name):
                getattr(target, name).CopyFrom(getattr(source, name))
            else:
                target.ClearField(name)
        else:
            setattr(target, name, getattr(source, name))
