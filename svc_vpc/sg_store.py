"""Persistence of security groups. A group's rules live inside the group's
record (svc_dpm reads a group and its rules in one read, and a rule change
is one compare transaction on the group); a key per rule maps the rule's id
to its group; a key per project names its default group."""
from __future__ import annotations

from alcor.v1 import security_group_pb2 as sg
from runtime import context, keys
from runtime.errors import Conflict, InUse, InvalidInput
from runtime.listing import ListQuery, Page, matches, order, paginate
from runtime.resources import ResourceStore, apply_mask, check_revision, now
from runtime.retry import on_conflict
from runtime.store import Absent, Delete, EmptyRange, Present, Put, Store, StoreConflict, Unit
from svc_vpc import security_groups as sglogic
from svc_vpc.networks import owner_project


def _default_key(project: str) -> bytes:
    return keys.unique("security_groups", "default", project)


def _rule_key(rule_id: str) -> bytes:
    return keys.unique("security_group_rules", "id", rule_id)


class SgStore:
    def __init__(self, store: Store, default_project: str):
        self.store = store
        self.default_project = default_project
        self.groups = ResourceStore(store, "security_groups", sg.SecurityGroup, "SecurityGroup",
                                    indexes=("project_id",))

    def _with_rule_revisions(self, g: sg.SecurityGroup) -> sg.SecurityGroup:
        for r in g.security_group_rules:
            r.revision_number = g.revision_number
        return g

    # --- groups ----------------------------------------------------------------

    @on_conflict
    async def ensure_default(self, project: str) -> str:
        """The project's default group, created on first use."""
        kv = await self.store.get(_default_key(project))
        if kv is not None:
            return kv.value.decode()
        g = sglogic.default_group(project)
        u = self.groups.create_unit(g)
        u.guards.append(Absent(_default_key(project)))
        u.writes.append(Put(_default_key(project), g.id.encode()))
        u.writes += [Put(_rule_key(r.id), g.id.encode()) for r in g.security_group_rules]
        try:
            await self.store.commit(u)
        except StoreConflict:
            kv = await self.store.get(_default_key(project))
            if kv is None:
                raise
            return kv.value.decode()
        return g.id

    async def create(self, reqs: list[sg.SecurityGroup]) -> list[sg.SecurityGroup]:
        created = []
        for r in reqs:
            project = owner_project(r.project_id or r.tenant_id, self.default_project)
            await self.ensure_default(project)
            created.append(sglogic.new_group(r, project))
        units = []
        for g in created:
            u = self.groups.create_unit(g)
            u.writes += [Put(_rule_key(r.id), g.id.encode()) for r in g.security_group_rules]
            units.append(u)
        revs = await self.store.create_all(units)
        for g, rev in zip(created, revs):
            g.revision_number = rev
            self._with_rule_revisions(g)
        return created

    async def get(self, group_id: str) -> sg.SecurityGroup:
        return self._with_rule_revisions(await self.groups.get(group_id, sglogic.visible))

    async def list(self, q: ListQuery) -> Page:
        ctx = context.current()
        if not ctx.is_admin and ctx.project_id:
            await self.ensure_default(ctx.project_id)  # Neutron shows it on first look
        scope = None if ctx.is_admin else ("project_id", ctx.project_id)
        page = await self.groups.list(q, sglogic.visible, scope)
        for g in page.items:
            self._with_rule_revisions(g)
        return page

    async def resolve(self, project: str, ids: list[str]) -> list[str]:
        if not ids:
            return [await self.ensure_default(project or self.default_project)]
        got = await self.groups.get_many(ids)
        for i in ids:
            g = got.get(i)
            if g is None or not (context.current().is_admin or g.project_id == project):
                raise sglogic.not_found(i)
        return list(dict.fromkeys(ids))

    @on_conflict
    async def update(self, group_id: str, patch: sg.SecurityGroup, paths: list[str],
                     if_revision: int) -> sg.SecurityGroup:
        old = await self.groups.get(group_id, sglogic.visible)
        check_revision(old, if_revision, "security group")
        new = sg.SecurityGroup()
        new.CopyFrom(old)
        apply_mask(new, patch, paths, sglogic.UPDATABLE)
        if old.name == "default" and new.name != "default":
            raise Conflict("Updating default security group name not allowed.",
                           reason="SecurityGroupCannotUpdateDefault")
        if not new.HasField("stateful"):
            new.stateful = old.stateful
        new.updated_at = now()
        new.revision_number = await self.store.commit(self.groups.update_unit(new, old))
        return self._with_rule_revisions(new)

    @on_conflict
    async def delete(self, group_id: str, if_revision: int) -> None:
        g = await self.groups.get(group_id, sglogic.visible)
        check_revision(g, if_revision, "security group")
        if g.name == "default" and not context.current().is_admin:
            raise Conflict("Insufficient rights for removing default security group.",
                           reason="SecurityGroupCannotRemoveDefault")
        in_use = keys.index("ports", "security_groups", g.id)
        u = self.groups.delete_unit(g)
        u.guards.append(EmptyRange(in_use))
        u.writes += [Delete(_rule_key(r.id)) for r in g.security_group_rules]
        if g.name == "default":
            u.writes.append(Delete(_default_key(g.project_id)))
        # Rules of other groups naming this one as their remote group go with
        # it, as in Neutron (its foreign key cascades).
        groups, _ = await self.store.scan(keys.resources("security_groups"))
        for kv in groups:
            other = self.groups.decode(kv)
            if other.id == g.id or not any(r.remote_group_id == g.id for r in other.security_group_rules):
                continue
            new = sg.SecurityGroup()
            new.CopyFrom(other)
            del new.security_group_rules[:]
            new.security_group_rules.extend(r for r in other.security_group_rules
                                            if r.remote_group_id != g.id)
            new.updated_at = now()
            ou = self.groups.update_unit(new, other)
            ou.writes += [Delete(_rule_key(r.id)) for r in other.security_group_rules
                          if r.remote_group_id == g.id]
            u.guards += ou.guards
            u.writes += ou.writes
        try:
            await self.store.commit(u)
        except StoreConflict as e:
            if in_use in e.current:
                raise InUse(f"Security Group {g.id} in use.", reason="SecurityGroupInUse") from None
            raise

    # --- rules -----------------------------------------------------------------

    @on_conflict
    async def create_rules(self, reqs: list[sg.SecurityGroupRule]) -> list[sg.SecurityGroupRule]:
        by_group: dict[str, list] = {}
        for r in reqs:
            if not r.security_group_id:
                raise InvalidInput("Invalid input for operation: security_group_id is required.")
            by_group.setdefault(r.security_group_id, []).append(r)
        groups = await self.groups.get_many(by_group)
        remotes = {r.remote_group_id for r in reqs if r.remote_group_id}
        remote_groups = await self.groups.get_many(remotes)
        created, units = [], []
        for gid, rs in by_group.items():
            g = groups.get(gid)
            if g is None or not sglogic.visible(g):
                raise sglogic.not_found(gid)
            new = sg.SecurityGroup()
            new.CopyFrom(g)
            for r in rs:
                if r.remote_group_id and (r.remote_group_id not in remote_groups
                                          or not sglogic.visible(remote_groups[r.remote_group_id])):
                    raise sglogic.not_found(r.remote_group_id)
                rule = sglogic.new_rule(r, new)
                new.security_group_rules.append(rule)
                created.append(rule)
            new.updated_at = now()
            u = self.groups.update_unit(new, g)
            for rule in new.security_group_rules[len(g.security_group_rules):]:
                u.guards.append(Absent(_rule_key(rule.id)))
                u.writes.append(Put(_rule_key(rule.id), gid.encode()))
            units.append(u)
        # A remote group deleted meanwhile fails the commit; the retry says 404.
        units.append(Unit([Present(self.groups.key(gid)) for gid in remotes if gid not in by_group], []))
        rev = await self.store.commit(Unit([x for u in units for x in u.guards],
                                           [w for u in units for w in u.writes]))
        for r in created:
            r.revision_number = rev
        return created

    async def _rule_and_group(self, rule_id: str) -> tuple[sg.SecurityGroupRule, sg.SecurityGroup]:
        kv = await self.store.get(_rule_key(rule_id)) if rule_id else None
        if kv is None:
            raise sglogic.rule_not_found(rule_id)
        groups = await self.groups.get_many([kv.value.decode()])
        g = groups.get(kv.value.decode())
        if g is None or not sglogic.visible(g):
            raise sglogic.rule_not_found(rule_id)
        rule = next((r for r in g.security_group_rules if r.id == rule_id), None)
        if rule is None:
            raise sglogic.rule_not_found(rule_id)
        rule.revision_number = g.revision_number
        return rule, g

    async def get_rule(self, rule_id: str) -> sg.SecurityGroupRule:
        return (await self._rule_and_group(rule_id))[0]

    async def list_rules(self, q: ListQuery) -> Page:
        everything = []
        groups, _ = await self.store.scan(keys.resources("security_groups"))
        for kv in groups:
            g = self.groups.decode(kv)
            if not sglogic.visible(g):
                continue
            for r in g.security_group_rules:
                r.revision_number = g.revision_number
                if matches(r, q.filters):
                    everything.append(r)
        return paginate(order(everything, q.sort), q)

    @on_conflict
    async def delete_rule(self, rule_id: str) -> None:
        _, g = await self._rule_and_group(rule_id)
        new = sg.SecurityGroup()
        new.CopyFrom(g)
        del new.security_group_rules[:]
        new.security_group_rules.extend(r for r in g.security_group_rules if r.id != rule_id)
        new.updated_at = now()
        u = self.groups.update_unit(new, g)
        u.writes.append(Delete(_rule_key(rule_id)))
        await self.store.commit(u)
