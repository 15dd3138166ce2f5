"""The list mirror (runtime/mirror.py) against the session cluster's etcd:
what it serves is what etcd holds at the moment the read starts, whatever
was written just before, by whom, under which prefix."""
from __future__ import annotations

import asyncio
import uuid

from alcor.v1 import goalstate_pb2, port_pb2
from runtime import keys
from runtime.listing import ListQuery as _ListQuery
from runtime.store import Put, Unit, Absent
from svc_port.store import PortStore
from tests.conftest import eventually


async def _mirrored(api):
    ports = PortStore(api.store)
    mirror = ports.mirror()
    task = asyncio.create_task(mirror.run())
    await eventually(lambda: mirror.ready)
    return ports, mirror, task


def ListQuery(filters, limit=0, marker=""):
    return _ListQuery(filters, limit, marker, [], False)


def _port(project: str, device: str = "") -> port_pb2.Port:
    return port_pb2.Port(id=str(uuid.uuid4()), project_id=project, network_id="net-m",
                         device_id=device, binding_host_id="h-m", admin_state_up=True)


async def test_a_list_right_after_a_write_sees_it(api):
    ports, mirror, task = await _mirrored(api)
    try:
        project = f"mirror-{uuid.uuid4().hex[:6]}"
        seen = []
        for i in range(30):
            p = _port(project, f"dev-{i % 3}")
            await api.store.commit(ports.ports.create_unit(p))
            page = await ports.ports.list(ListQuery(filters={"project_id": {project}}))
            seen.append(len(page.items))
            assert mirror.revision > 0
        assert seen == list(range(1, 31))  # never a read behind its write
        page = await ports.ports.list(ListQuery(filters={"device_id": {"dev-1"}, "project_id": {project}}))
        assert len(page.items) == 10 and all(p.device_id == "dev-1" for p in page.items)
        # Pages by marker, in id order.
        first = await ports.ports.list(ListQuery(filters={"project_id": {project}}, limit=12))
        rest = await ports.ports.list(ListQuery(filters={"project_id": {project}}, limit=100,
                                                marker=first.items[-1].id))
        ids = [p.id for p in first.items + rest.items]
        assert ids == sorted(ids) and len(set(ids)) == 30
        assert mirror.snapshots == 1  # kept up by the watch alone, never listed again
    finally:
        task.cancel()


async def test_deletes_and_statuses_show_at_once(api):
    ports, mirror, task = await _mirrored(api)
    try:
        project = f"mirror-{uuid.uuid4().hex[:6]}"
        p = _port(project)
        await api.store.commit(ports.ports.create_unit(p))
        rec = goalstate_pb2.PortStatusRecord(status="ACTIVE", host_name="h-m")
        k = keys.port_status(p.id)
        await api.store.commit(Unit([Absent(k)], [Put(k, rec.SerializeToString())]))
        (got,) = (await ports.ports.list(ListQuery(filters={"project_id": {project}}))).items
        assert got.status == "ACTIVE"
        await api.store.commit(ports.ports.delete_unit(got))
        assert not (await ports.ports.list(ListQuery(filters={"project_id": {project}}))).items
    finally:
        task.cancel()


async def test_writes_elsewhere_do_not_hold_a_read_back(api):
    """The mirror sees every revision, ports or not, so a read after other
    writes is served from it at once instead of waiting for its timeout."""
    ports, mirror, task = await _mirrored(api)
    try:
        for i in range(5):
            k = f"/elsewhere/{uuid.uuid4().hex}".encode()
            await api.store.commit(Unit([Absent(k)], [Put(k, b"x")]))
            assert await mirror.caught_up(timeout=2.0)
            assert mirror.revision >= await api.store.revision()
    finally:
        task.cancel()


async def test_lists_by_device_and_project_are_the_same_from_etcd_and_the_mirror(api):
    """device_id and project_id are indexed in the mirror only: etcd holds
    no index keys for them (they served nothing but lists), and a list made
    before the mirror is ready, read from etcd, answers the same."""
    ports, mirror, task = await _mirrored(api)
    try:
        project = f"mirror-{uuid.uuid4().hex[:6]}"
        made = [_port(project, f"dev-{i % 3}") for i in range(9)]
        for p in made:
            await api.store.commit(ports.ports.create_unit(p))
        assert await api.store.count(keys.index("ports", "device_id", "dev-1")) == 0
        assert await api.store.count(keys.index("ports", "project_id", project)) == 0
        assert await api.store.count(keys.index("ports", "network_id", "net-m")) >= 9
        from_etcd = PortStore(api.store)  # no mirror: what serves while it catches up
        for filters in ({"device_id": {"dev-1"}, "project_id": {project}}, {"project_id": {project}}):
            want = sorted(p.id for p in made if all(getattr(p, k) in v for k, v in filters.items()))
            for store in (ports, from_etcd):
                page = await store.ports.list(ListQuery(filters=filters))
                assert [p.id for p in page.items] == want
    finally:
        task.cancel()
