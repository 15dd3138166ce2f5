# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.rpc import status_pb2 as _status_pb2
from alcor.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AllowedAddressPair(_message.Message):
    __slots__ = ("ip_address", "mac_address")
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    ip_address: str
    mac_address: str
    def __init__(self, ip_address: _Optional[str] = ..., mac_address: _Optional[str] = ...) -> None: ...

class Port(_message.Message):
    __slots__ = ("id", "project_id", "tenant_id", "name", "description", "network_id", "mac_address", "fixed_ips", "device_id", "device_owner", "binding_host_id", "binding_vif_type", "binding_vnic_type", "binding_profile", "binding_vif_details", "security_groups", "admin_state_up", "status", "tags", "revision_number", "created_at", "updated_at", "allowed_address_pairs", "port_security_enabled", "status_reason", "empty_lists")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    FIXED_IPS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_OWNER_FIELD_NUMBER: _ClassVar[int]
    BINDING_HOST_ID_FIELD_NUMBER: _ClassVar[int]
    BINDING_VIF_TYPE_FIELD_NUMBER: _ClassVar[int]
    BINDING_VNIC_TYPE_FIELD_NUMBER: _ClassVar[int]
    BINDING_PROFILE_FIELD_NUMBER: _ClassVar[int]
    BINDING_VIF_DETAILS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_ADDRESS_PAIRS_FIELD_NUMBER: _ClassVar[int]
    PORT_SECURITY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    EMPTY_LISTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    tenant_id: str
    name: str
    description: str
    network_id: str
    mac_address: str
    fixed_ips: _containers.RepeatedCompositeFieldContainer[_common_pb2.FixedIp]
    device_id: str
    device_owner: str
    binding_host_id: str
    binding_vif_type: str
    binding_vnic_type: str
    binding_profile: _struct_pb2.Struct
    binding_vif_details: _struct_pb2.Struct
    security_groups: _containers.RepeatedScalarFieldContainer[str]
    admin_state_up: bool
    status: str
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: int
    created_at: str
    updated_at: str
    allowed_address_pairs: _containers.RepeatedCompositeFieldContainer[AllowedAddressPair]
    port_security_enabled: bool
    status_reason: str
    empty_lists: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., network_id: _Optional[str] = ..., mac_address: _Optional[str] = ..., fixed_ips: _Optional[_Iterable[_Union[_common_pb2.FixedIp, _Mapping]]] = ..., device_id: _Optional[str] = ..., device_owner: _Optional[str] = ..., binding_host_id: _Optional[str] = ..., binding_vif_type: _Optional[str] = ..., binding_vnic_type: _Optional[str] = ..., binding_profile: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., binding_vif_details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., security_groups: _Optional[_Iterable[str]] = ..., admin_state_up: _Optional[bool] = ..., status: _Optional[str] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., allowed_address_pairs: _Optional[_Iterable[_Union[AllowedAddressPair, _Mapping]]] = ..., port_security_enabled: _Optional[bool] = ..., status_reason: _Optional[str] = ..., empty_lists: _Optional[_Iterable[str]] = ...) -> None: ...

class CreatePortsRequest(_message.Message):
    __slots__ = ("port", "ports")
    PORT_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    port: Port
    ports: _containers.RepeatedCompositeFieldContainer[Port]
    def __init__(self, port: _Optional[_Union[Port, _Mapping]] = ..., ports: _Optional[_Iterable[_Union[Port, _Mapping]]] = ...) -> None: ...

class CreatePortsResponse(_message.Message):
    __slots__ = ("port", "ports")
    PORT_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    port: Port
    ports: _containers.RepeatedCompositeFieldContainer[Port]
    def __init__(self, port: _Optional[_Union[Port, _Mapping]] = ..., ports: _Optional[_Iterable[_Union[Port, _Mapping]]] = ...) -> None: ...

class CreatePortsBatchRequest(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[CreatePortsCall]
    def __init__(self, calls: _Optional[_Iterable[_Union[CreatePortsCall, _Mapping]]] = ...) -> None: ...

class CreatePortsCall(_message.Message):
    __slots__ = ("request", "metadata")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    request: CreatePortsRequest
    metadata: _containers.ScalarMap[str, str]
    def __init__(self, request: _Optional[_Union[CreatePortsRequest, _Mapping]] = ..., metadata: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CreatePortsBatchResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[CreatePortsOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[CreatePortsOutcome, _Mapping]]] = ...) -> None: ...

class CreatePortsOutcome(_message.Message):
    __slots__ = ("created", "error")
    CREATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    created: CreatePortsResponse
    error: _status_pb2.Status
    def __init__(self, created: _Optional[_Union[CreatePortsResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ...) -> None: ...

class GetPortRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetPortResponse(_message.Message):
    __slots__ = ("port",)
    PORT_FIELD_NUMBER: _ClassVar[int]
    port: Port
    def __init__(self, port: _Optional[_Union[Port, _Mapping]] = ...) -> None: ...

class ListPortsRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "project_id", "tenant_id", "description", "network_id", "mac_address", "device_id", "device_owner", "binding_host_id", "admin_state_up", "status", "revision_number", "tags", "security_groups", "fixed_ips", "binding_vnic_type")
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
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    DEVICE_ID_FIELD_NUMBER: _ClassVar[int]
    DEVICE_OWNER_FIELD_NUMBER: _ClassVar[int]
    BINDING_HOST_ID_FIELD_NUMBER: _ClassVar[int]
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    FIXED_IPS_FIELD_NUMBER: _ClassVar[int]
    BINDING_VNIC_TYPE_FIELD_NUMBER: _ClassVar[int]
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
    network_id: _containers.RepeatedScalarFieldContainer[str]
    mac_address: _containers.RepeatedScalarFieldContainer[str]
    device_id: _containers.RepeatedScalarFieldContainer[str]
    device_owner: _containers.RepeatedScalarFieldContainer[str]
    binding_host_id: _containers.RepeatedScalarFieldContainer[str]
    admin_state_up: _containers.RepeatedScalarFieldContainer[str]
    status: _containers.RepeatedScalarFieldContainer[str]
    revision_number: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    security_groups: _containers.RepeatedScalarFieldContainer[str]
    fixed_ips: _containers.RepeatedScalarFieldContainer[str]
    binding_vnic_type: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ..., network_id: _Optional[_Iterable[str]] = ..., mac_address: _Optional[_Iterable[str]] = ..., device_id: _Optional[_Iterable[str]] = ..., device_owner: _Optional[_Iterable[str]] = ..., binding_host_id: _Optional[_Iterable[str]] = ..., admin_state_up: _Optional[_Iterable[str]] = ..., status: _Optional[_Iterable[str]] = ..., revision_number: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., security_groups: _Optional[_Iterable[str]] = ..., fixed_ips: _Optional[_Iterable[str]] = ..., binding_vnic_type: _Optional[_Iterable[str]] = ...) -> None: ...

class ListPortsResponse(_message.Message):
    __slots__ = ("ports", "ports_links")
    PORTS_FIELD_NUMBER: _ClassVar[int]
    PORTS_LINKS_FIELD_NUMBER: _ClassVar[int]
    ports: _containers.RepeatedCompositeFieldContainer[Port]
    ports_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, ports: _Optional[_Iterable[_Union[Port, _Mapping]]] = ..., ports_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdatePortRequest(_message.Message):
    __slots__ = ("id", "port", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    port: Port
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., port: _Optional[_Union[Port, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdatePortResponse(_message.Message):
    __slots__ = ("port",)
    PORT_FIELD_NUMBER: _ClassVar[int]
    port: Port
    def __init__(self, port: _Optional[_Union[Port, _Mapping]] = ...) -> None: ...

class DeletePortRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeletePortResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
