# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from alcor.v1 import common_pb2 as _common_pb2
from alcor.v1 import subnet_pb2 as _subnet_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Network(_message.Message):
    __slots__ = ("id", "project_id", "tenant_id", "name", "description", "admin_state_up", "status", "mtu", "shared", "router_external", "provider_network_type", "provider_segmentation_id", "subnets", "tags", "revision_number", "created_at", "updated_at", "port_security_enabled", "availability_zones", "availability_zone_hints")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    ROUTER_EXTERNAL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_NETWORK_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SEGMENTATION_ID_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PORT_SECURITY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONES_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_HINTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    tenant_id: str
    name: str
    description: str
    admin_state_up: bool
    status: str
    mtu: int
    shared: bool
    router_external: bool
    provider_network_type: str
    provider_segmentation_id: int
    subnets: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: int
    created_at: str
    updated_at: str
    port_security_enabled: bool
    availability_zones: _containers.RepeatedScalarFieldContainer[str]
    availability_zone_hints: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., admin_state_up: _Optional[bool] = ..., status: _Optional[str] = ..., mtu: _Optional[int] = ..., shared: _Optional[bool] = ..., router_external: _Optional[bool] = ..., provider_network_type: _Optional[str] = ..., provider_segmentation_id: _Optional[int] = ..., subnets: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., port_security_enabled: _Optional[bool] = ..., availability_zones: _Optional[_Iterable[str]] = ..., availability_zone_hints: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateNetworksRequest(_message.Message):
    __slots__ = ("network", "networks")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    network: Network
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class CreateNetworksResponse(_message.Message):
    __slots__ = ("network", "networks")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    network: Network
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ...) -> None: ...

class GetNetworkRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNetworkResponse(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class ListNetworksRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "project_id", "tenant_id", "description", "admin_state_up", "status", "mtu", "shared", "router_external", "provider_network_type", "provider_segmentation_id", "revision_number", "tags", "port_security_enabled")
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
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MTU_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    ROUTER_EXTERNAL_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_NETWORK_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_SEGMENTATION_ID_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    PORT_SECURITY_ENABLED_FIELD_NUMBER: _ClassVar[int]
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
    admin_state_up: _containers.RepeatedScalarFieldContainer[str]
    status: _containers.RepeatedScalarFieldContainer[str]
    mtu: _containers.RepeatedScalarFieldContainer[str]
    shared: _containers.RepeatedScalarFieldContainer[str]
    router_external: _containers.RepeatedScalarFieldContainer[str]
    provider_network_type: _containers.RepeatedScalarFieldContainer[str]
    provider_segmentation_id: _containers.RepeatedScalarFieldContainer[str]
    revision_number: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    port_security_enabled: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ..., admin_state_up: _Optional[_Iterable[str]] = ..., status: _Optional[_Iterable[str]] = ..., mtu: _Optional[_Iterable[str]] = ..., shared: _Optional[_Iterable[str]] = ..., router_external: _Optional[_Iterable[str]] = ..., provider_network_type: _Optional[_Iterable[str]] = ..., provider_segmentation_id: _Optional[_Iterable[str]] = ..., revision_number: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., port_security_enabled: _Optional[_Iterable[str]] = ...) -> None: ...

class ListNetworksResponse(_message.Message):
    __slots__ = ("networks", "networks_links")
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    NETWORKS_LINKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[Network]
    networks_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, networks: _Optional[_Iterable[_Union[Network, _Mapping]]] = ..., networks_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdateNetworkRequest(_message.Message):
    __slots__ = ("id", "network", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    network: Network
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., network: _Optional[_Union[Network, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdateNetworkResponse(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class DeleteNetworkRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeleteNetworkResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LookupNetworksRequest(_message.Message):
    __slots__ = ("ids", "skip_missing")
    IDS_FIELD_NUMBER: _ClassVar[int]
    SKIP_MISSING_FIELD_NUMBER: _ClassVar[int]
    ids: _containers.RepeatedScalarFieldContainer[str]
    skip_missing: bool
    def __init__(self, ids: _Optional[_Iterable[str]] = ..., skip_missing: _Optional[bool] = ...) -> None: ...

class NetworkWithSubnets(_message.Message):
    __slots__ = ("network", "subnets")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    network: Network
    subnets: _containers.RepeatedCompositeFieldContainer[_subnet_pb2.Subnet]
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ..., subnets: _Optional[_Iterable[_Union[_subnet_pb2.Subnet, _Mapping]]] = ...) -> None: ...

class LookupNetworksResponse(_message.Message):
    __slots__ = ("networks",)
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[NetworkWithSubnets]
    def __init__(self, networks: _Optional[_Iterable[_Union[NetworkWithSubnets, _Mapping]]] = ...) -> None: ...
