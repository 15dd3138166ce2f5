# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from alcor.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SecurityGroupRule(_message.Message):
    __slots__ = ("id", "security_group_id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id", "description", "project_id", "tenant_id", "revision_number", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ETHERTYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MIN_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MAX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_IP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    security_group_id: str
    direction: str
    ethertype: str
    protocol: str
    port_range_min: int
    port_range_max: int
    remote_ip_prefix: str
    remote_group_id: str
    description: str
    project_id: str
    tenant_id: str
    revision_number: int
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., security_group_id: _Optional[str] = ..., direction: _Optional[str] = ..., ethertype: _Optional[str] = ..., protocol: _Optional[str] = ..., port_range_min: _Optional[int] = ..., port_range_max: _Optional[int] = ..., remote_ip_prefix: _Optional[str] = ..., remote_group_id: _Optional[str] = ..., description: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class SecurityGroup(_message.Message):
    __slots__ = ("id", "name", "description", "project_id", "tenant_id", "security_group_rules", "stateful", "tags", "revision_number", "created_at", "updated_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_RULES_FIELD_NUMBER: _ClassVar[int]
    STATEFUL_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    project_id: str
    tenant_id: str
    security_group_rules: _containers.RepeatedCompositeFieldContainer[SecurityGroupRule]
    stateful: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: int
    created_at: str
    updated_at: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., security_group_rules: _Optional[_Iterable[_Union[SecurityGroupRule, _Mapping]]] = ..., stateful: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ...) -> None: ...

class CreateSecurityGroupsRequest(_message.Message):
    __slots__ = ("security_group", "security_groups")
    SECURITY_GROUP_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    security_group: SecurityGroup
    security_groups: _containers.RepeatedCompositeFieldContainer[SecurityGroup]
    def __init__(self, security_group: _Optional[_Union[SecurityGroup, _Mapping]] = ..., security_groups: _Optional[_Iterable[_Union[SecurityGroup, _Mapping]]] = ...) -> None: ...

class CreateSecurityGroupsResponse(_message.Message):
    __slots__ = ("security_group", "security_groups")
    SECURITY_GROUP_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    security_group: SecurityGroup
    security_groups: _containers.RepeatedCompositeFieldContainer[SecurityGroup]
    def __init__(self, security_group: _Optional[_Union[SecurityGroup, _Mapping]] = ..., security_groups: _Optional[_Iterable[_Union[SecurityGroup, _Mapping]]] = ...) -> None: ...

class GetSecurityGroupRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetSecurityGroupResponse(_message.Message):
    __slots__ = ("security_group",)
    SECURITY_GROUP_FIELD_NUMBER: _ClassVar[int]
    security_group: SecurityGroup
    def __init__(self, security_group: _Optional[_Union[SecurityGroup, _Mapping]] = ...) -> None: ...

class ListSecurityGroupsRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "project_id", "tenant_id", "description", "revision_number", "tags", "stateful")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MARKER_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    PAGE_REVERSE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    STATEFUL_FIELD_NUMBER: _ClassVar[int]
    limit: int
    marker: str
    sort_key: _containers.RepeatedScalarFieldContainer[str]
    sort_dir: _containers.RepeatedScalarFieldContainer[str]
    page_reverse: bool
    fields: _containers.RepeatedScalarFieldContainer[str]
    id: _containers.RepeatedScalarFieldContainer[str]
    name: _containers.RepeatedScalarFieldContainer[str]
    project_id: _containers.RepeatedScalarFieldContainer[str]
    tenant_id: _containers.RepeatedScalarFieldContainer[str]
    description: _containers.RepeatedScalarFieldContainer[str]
    revision_number: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    stateful: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ..., revision_number: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., stateful: _Optional[_Iterable[str]] = ...) -> None: ...

class ListSecurityGroupsResponse(_message.Message):
    __slots__ = ("security_groups", "security_groups_links")
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_LINKS_FIELD_NUMBER: _ClassVar[int]
    security_groups: _containers.RepeatedCompositeFieldContainer[SecurityGroup]
    security_groups_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, security_groups: _Optional[_Iterable[_Union[SecurityGroup, _Mapping]]] = ..., security_groups_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdateSecurityGroupRequest(_message.Message):
    __slots__ = ("id", "security_group", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    security_group: SecurityGroup
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., security_group: _Optional[_Union[SecurityGroup, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdateSecurityGroupResponse(_message.Message):
    __slots__ = ("security_group",)
    SECURITY_GROUP_FIELD_NUMBER: _ClassVar[int]
    security_group: SecurityGroup
    def __init__(self, security_group: _Optional[_Union[SecurityGroup, _Mapping]] = ...) -> None: ...

class DeleteSecurityGroupRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeleteSecurityGroupResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ResolveSecurityGroupsRequest(_message.Message):
    __slots__ = ("project_id", "ids")
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    project_id: str
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, project_id: _Optional[str] = ..., ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ResolveSecurityGroupsResponse(_message.Message):
    __slots__ = ("ids",)
    IDS_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ids: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateSecurityGroupRulesRequest(_message.Message):
    __slots__ = ("security_group_rule", "security_group_rules")
    SECURITY_GROUP_RULE_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_RULES_FIELD_NUMBER: _ClassVar[int]
    security_group_rule: SecurityGroupRule
    security_group_rules: _containers.RepeatedCompositeFieldContainer[SecurityGroupRule]
    def __init__(self, security_group_rule: _Optional[_Union[SecurityGroupRule, _Mapping]] = ..., security_group_rules: _Optional[_Iterable[_Union[SecurityGroupRule, _Mapping]]] = ...) -> None: ...

class CreateSecurityGroupRulesResponse(_message.Message):
    __slots__ = ("security_group_rule", "security_group_rules")
    SECURITY_GROUP_RULE_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_RULES_FIELD_NUMBER: _ClassVar[int]
    security_group_rule: SecurityGroupRule
    security_group_rules: _containers.RepeatedCompositeFieldContainer[SecurityGroupRule]
    def __init__(self, security_group_rule: _Optional[_Union[SecurityGroupRule, _Mapping]] = ..., security_group_rules: _Optional[_Iterable[_Union[SecurityGroupRule, _Mapping]]] = ...) -> None: ...

class GetSecurityGroupRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetSecurityGroupRuleResponse(_message.Message):
    __slots__ = ("security_group_rule",)
    SECURITY_GROUP_RULE_FIELD_NUMBER: _ClassVar[int]
    security_group_rule: SecurityGroupRule
    def __init__(self, security_group_rule: _Optional[_Union[SecurityGroupRule, _Mapping]] = ...) -> None: ...

class ListSecurityGroupRulesRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "security_group_id", "direction", "ethertype", "protocol", "remote_ip_prefix", "remote_group_id", "project_id", "tenant_id", "port_range_min", "port_range_max", "description")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MARKER_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    PAGE_REVERSE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ETHERTYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    REMOTE_IP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MIN_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MAX_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    limit: int
    marker: str
    sort_key: _containers.RepeatedScalarFieldContainer[str]
    sort_dir: _containers.RepeatedScalarFieldContainer[str]
    page_reverse: bool
    fields: _containers.RepeatedScalarFieldContainer[str]
    id: _containers.RepeatedScalarFieldContainer[str]
    security_group_id: _containers.RepeatedScalarFieldContainer[str]
    direction: _containers.RepeatedScalarFieldContainer[str]
    ethertype: _containers.RepeatedScalarFieldContainer[str]
    protocol: _containers.RepeatedScalarFieldContainer[str]
    remote_ip_prefix: _containers.RepeatedScalarFieldContainer[str]
    remote_group_id: _containers.RepeatedScalarFieldContainer[str]
    project_id: _containers.RepeatedScalarFieldContainer[str]
    tenant_id: _containers.RepeatedScalarFieldContainer[str]
    port_range_min: _containers.RepeatedScalarFieldContainer[str]
    port_range_max: _containers.RepeatedScalarFieldContainer[str]
    description: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., security_group_id: _Optional[_Iterable[str]] = ..., direction: _Optional[_Iterable[str]] = ..., ethertype: _Optional[_Iterable[str]] = ..., protocol: _Optional[_Iterable[str]] = ..., remote_ip_prefix: _Optional[_Iterable[str]] = ..., remote_group_id: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., port_range_min: _Optional[_Iterable[str]] = ..., port_range_max: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ...) -> None: ...

class ListSecurityGroupRulesResponse(_message.Message):
    __slots__ = ("security_group_rules", "security_group_rules_links")
    SECURITY_GROUP_RULES_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_RULES_LINKS_FIELD_NUMBER: _ClassVar[int]
    security_group_rules: _containers.RepeatedCompositeFieldContainer[SecurityGroupRule]
    security_group_rules_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, security_group_rules: _Optional[_Iterable[_Union[SecurityGroupRule, _Mapping]]] = ..., security_group_rules_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class DeleteSecurityGroupRuleRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteSecurityGroupRuleResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
