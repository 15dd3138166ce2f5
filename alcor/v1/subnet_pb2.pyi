# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.api import annotations_pb2 as _annotations_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from alcor.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Subnet(_message.Message):
    __slots__ = ("id", "project_id", "tenant_id", "name", "description", "network_id", "ip_version", "cidr", "gateway_ip", "allocation_pools", "enable_dhcp", "dns_nameservers", "host_routes", "service_types", "tags", "revision_number", "created_at", "updated_at", "ipv6_address_mode", "ipv6_ra_mode")
    ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    IP_VERSION_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_IP_FIELD_NUMBER: _ClassVar[int]
    ALLOCATION_POOLS_FIELD_NUMBER: _ClassVar[int]
    ENABLE_DHCP_FIELD_NUMBER: _ClassVar[int]
    DNS_NAMESERVERS_FIELD_NUMBER: _ClassVar[int]
    HOST_ROUTES_FIELD_NUMBER: _ClassVar[int]
    SERVICE_TYPES_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    IPV6_ADDRESS_MODE_FIELD_NUMBER: _ClassVar[int]
    IPV6_RA_MODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    project_id: str
    tenant_id: str
    name: str
    description: str
    network_id: str
    ip_version: int
    cidr: str
    gateway_ip: _struct_pb2.Value
    allocation_pools: _containers.RepeatedCompositeFieldContainer[_common_pb2.AllocationPool]
    enable_dhcp: bool
    dns_nameservers: _containers.RepeatedScalarFieldContainer[str]
    host_routes: _containers.RepeatedCompositeFieldContainer[_common_pb2.HostRoute]
    service_types: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: int
    created_at: str
    updated_at: str
    ipv6_address_mode: str
    ipv6_ra_mode: str
    def __init__(self, id: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., network_id: _Optional[str] = ..., ip_version: _Optional[int] = ..., cidr: _Optional[str] = ..., gateway_ip: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., allocation_pools: _Optional[_Iterable[_Union[_common_pb2.AllocationPool, _Mapping]]] = ..., enable_dhcp: _Optional[bool] = ..., dns_nameservers: _Optional[_Iterable[str]] = ..., host_routes: _Optional[_Iterable[_Union[_common_pb2.HostRoute, _Mapping]]] = ..., service_types: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., ipv6_address_mode: _Optional[str] = ..., ipv6_ra_mode: _Optional[str] = ...) -> None: ...

class CreateSubnetsRequest(_message.Message):
    __slots__ = ("subnet", "subnets")
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    subnet: Subnet
    subnets: _containers.RepeatedCompositeFieldContainer[Subnet]
    def __init__(self, subnet: _Optional[_Union[Subnet, _Mapping]] = ..., subnets: _Optional[_Iterable[_Union[Subnet, _Mapping]]] = ...) -> None: ...

class CreateSubnetsResponse(_message.Message):
    __slots__ = ("subnet", "subnets")
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    subnet: Subnet
    subnets: _containers.RepeatedCompositeFieldContainer[Subnet]
    def __init__(self, subnet: _Optional[_Union[Subnet, _Mapping]] = ..., subnets: _Optional[_Iterable[_Union[Subnet, _Mapping]]] = ...) -> None: ...

class GetSubnetRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetSubnetResponse(_message.Message):
    __slots__ = ("subnet",)
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    subnet: Subnet
    def __init__(self, subnet: _Optional[_Union[Subnet, _Mapping]] = ...) -> None: ...

class ListSubnetsRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "project_id", "tenant_id", "description", "network_id", "ip_version", "cidr", "gateway_ip", "enable_dhcp", "revision_number", "tags", "ipv6_address_mode", "ipv6_ra_mode")
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
    IP_VERSION_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_IP_FIELD_NUMBER: _ClassVar[int]
    ENABLE_DHCP_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    IPV6_ADDRESS_MODE_FIELD_NUMBER: _ClassVar[int]
    IPV6_RA_MODE_FIELD_NUMBER: _ClassVar[int]
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
    ip_version: _containers.RepeatedScalarFieldContainer[str]
    cidr: _containers.RepeatedScalarFieldContainer[str]
    gateway_ip: _containers.RepeatedScalarFieldContainer[str]
    enable_dhcp: _containers.RepeatedScalarFieldContainer[str]
    revision_number: _containers.RepeatedScalarFieldContainer[str]
    tags: _containers.RepeatedScalarFieldContainer[str]
    ipv6_address_mode: _containers.RepeatedScalarFieldContainer[str]
    ipv6_ra_mode: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ..., network_id: _Optional[_Iterable[str]] = ..., ip_version: _Optional[_Iterable[str]] = ..., cidr: _Optional[_Iterable[str]] = ..., gateway_ip: _Optional[_Iterable[str]] = ..., enable_dhcp: _Optional[_Iterable[str]] = ..., revision_number: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., ipv6_address_mode: _Optional[_Iterable[str]] = ..., ipv6_ra_mode: _Optional[_Iterable[str]] = ...) -> None: ...

class ListSubnetsResponse(_message.Message):
    __slots__ = ("subnets", "subnets_links")
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_LINKS_FIELD_NUMBER: _ClassVar[int]
    subnets: _containers.RepeatedCompositeFieldContainer[Subnet]
    subnets_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, subnets: _Optional[_Iterable[_Union[Subnet, _Mapping]]] = ..., subnets_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdateSubnetRequest(_message.Message):
    __slots__ = ("id", "subnet", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    subnet: Subnet
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., subnet: _Optional[_Union[Subnet, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdateSubnetResponse(_message.Message):
    __slots__ = ("subnet",)
    SUBNET_FIELD_NUMBER: _ClassVar[int]
    subnet: Subnet
    def __init__(self, subnet: _Optional[_Union[Subnet, _Mapping]] = ...) -> None: ...

class DeleteSubnetRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeleteSubnetResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
