# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from alcor.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Operation(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    OPERATION_UNSPECIFIED: _ClassVar[Operation]
    OPERATION_CREATE: _ClassVar[Operation]
    OPERATION_UPDATE: _ClassVar[Operation]
    OPERATION_DELETE: _ClassVar[Operation]
    OPERATION_INFO: _ClassVar[Operation]

class UpdateType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UPDATE_TYPE_UNSPECIFIED: _ClassVar[UpdateType]
    UPDATE_TYPE_DELTA: _ClassVar[UpdateType]
    UPDATE_TYPE_FULL: _ClassVar[UpdateType]

class NeighborType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NEIGHBOR_TYPE_UNSPECIFIED: _ClassVar[NeighborType]
    NEIGHBOR_TYPE_L2: _ClassVar[NeighborType]
    NEIGHBOR_TYPE_L3: _ClassVar[NeighborType]

class ResourceType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESOURCE_TYPE_UNSPECIFIED: _ClassVar[ResourceType]
    RESOURCE_TYPE_VPC: _ClassVar[ResourceType]
    RESOURCE_TYPE_SUBNET: _ClassVar[ResourceType]
    RESOURCE_TYPE_PORT: _ClassVar[ResourceType]
    RESOURCE_TYPE_NEIGHBOR: _ClassVar[ResourceType]
    RESOURCE_TYPE_SECURITY_GROUP: _ClassVar[ResourceType]
    RESOURCE_TYPE_ROUTER: _ClassVar[ResourceType]

class ProgrammingStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRAMMING_STATUS_UNSPECIFIED: _ClassVar[ProgrammingStatus]
    PROGRAMMING_STATUS_SUCCESS: _ClassVar[ProgrammingStatus]
    PROGRAMMING_STATUS_FAILURE: _ClassVar[ProgrammingStatus]
    PROGRAMMING_STATUS_INVALID_ARG: _ClassVar[ProgrammingStatus]
    PROGRAMMING_STATUS_PENDING: _ClassVar[ProgrammingStatus]
    PROGRAMMING_STATUS_OUT_OF_ORDER: _ClassVar[ProgrammingStatus]
OPERATION_UNSPECIFIED: Operation
OPERATION_CREATE: Operation
OPERATION_UPDATE: Operation
OPERATION_DELETE: Operation
OPERATION_INFO: Operation
UPDATE_TYPE_UNSPECIFIED: UpdateType
UPDATE_TYPE_DELTA: UpdateType
UPDATE_TYPE_FULL: UpdateType
NEIGHBOR_TYPE_UNSPECIFIED: NeighborType
NEIGHBOR_TYPE_L2: NeighborType
NEIGHBOR_TYPE_L3: NeighborType
RESOURCE_TYPE_UNSPECIFIED: ResourceType
RESOURCE_TYPE_VPC: ResourceType
RESOURCE_TYPE_SUBNET: ResourceType
RESOURCE_TYPE_PORT: ResourceType
RESOURCE_TYPE_NEIGHBOR: ResourceType
RESOURCE_TYPE_SECURITY_GROUP: ResourceType
RESOURCE_TYPE_ROUTER: ResourceType
PROGRAMMING_STATUS_UNSPECIFIED: ProgrammingStatus
PROGRAMMING_STATUS_SUCCESS: ProgrammingStatus
PROGRAMMING_STATUS_FAILURE: ProgrammingStatus
PROGRAMMING_STATUS_INVALID_ARG: ProgrammingStatus
PROGRAMMING_STATUS_PENDING: ProgrammingStatus
PROGRAMMING_STATUS_OUT_OF_ORDER: ProgrammingStatus

class VpcState(_message.Message):
    __slots__ = ("operation", "id", "vni", "revision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    id: str
    vni: int
    revision: int
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., id: _Optional[str] = ..., vni: _Optional[int] = ..., revision: _Optional[int] = ...) -> None: ...

class SubnetState(_message.Message):
    __slots__ = ("operation", "id", "vpc_id", "cidr", "gateway_ip", "ip_version", "revision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VPC_ID_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_IP_FIELD_NUMBER: _ClassVar[int]
    IP_VERSION_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    id: str
    vpc_id: str
    cidr: str
    gateway_ip: str
    ip_version: int
    revision: int
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., id: _Optional[str] = ..., vpc_id: _Optional[str] = ..., cidr: _Optional[str] = ..., gateway_ip: _Optional[str] = ..., ip_version: _Optional[int] = ..., revision: _Optional[int] = ...) -> None: ...

class PortState(_message.Message):
    __slots__ = ("operation", "id", "vpc_id", "mac_address", "fixed_ips", "namespace", "admin_state_up", "security_group_ids", "revision", "port_security_enabled")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VPC_ID_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    FIXED_IPS_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_IDS_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PORT_SECURITY_ENABLED_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    id: str
    vpc_id: str
    mac_address: str
    fixed_ips: _containers.RepeatedCompositeFieldContainer[_common_pb2.FixedIp]
    namespace: str
    admin_state_up: bool
    security_group_ids: _containers.RepeatedScalarFieldContainer[str]
    revision: int
    port_security_enabled: bool
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., id: _Optional[str] = ..., vpc_id: _Optional[str] = ..., mac_address: _Optional[str] = ..., fixed_ips: _Optional[_Iterable[_Union[_common_pb2.FixedIp, _Mapping]]] = ..., namespace: _Optional[str] = ..., admin_state_up: _Optional[bool] = ..., security_group_ids: _Optional[_Iterable[str]] = ..., revision: _Optional[int] = ..., port_security_enabled: _Optional[bool] = ...) -> None: ...

class NeighborState(_message.Message):
    __slots__ = ("operation", "port_id", "vpc_id", "subnet_id", "ip_address", "mac_address", "host_ip", "vni", "type", "revision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    VPC_ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    HOST_IP_FIELD_NUMBER: _ClassVar[int]
    VNI_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    port_id: str
    vpc_id: str
    subnet_id: str
    ip_address: str
    mac_address: str
    host_ip: str
    vni: int
    type: NeighborType
    revision: int
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., port_id: _Optional[str] = ..., vpc_id: _Optional[str] = ..., subnet_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., mac_address: _Optional[str] = ..., host_ip: _Optional[str] = ..., vni: _Optional[int] = ..., type: _Optional[_Union[NeighborType, str]] = ..., revision: _Optional[int] = ...) -> None: ...

class SecurityGroupRuleState(_message.Message):
    __slots__ = ("id", "direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ETHERTYPE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MIN_FIELD_NUMBER: _ClassVar[int]
    PORT_RANGE_MAX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_IP_PREFIX_FIELD_NUMBER: _ClassVar[int]
    REMOTE_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    direction: str
    ethertype: str
    protocol: str
    port_range_min: int
    port_range_max: int
    remote_ip_prefix: str
    remote_group_id: str
    def __init__(self, id: _Optional[str] = ..., direction: _Optional[str] = ..., ethertype: _Optional[str] = ..., protocol: _Optional[str] = ..., port_range_min: _Optional[int] = ..., port_range_max: _Optional[int] = ..., remote_ip_prefix: _Optional[str] = ..., remote_group_id: _Optional[str] = ...) -> None: ...

class SecurityGroupState(_message.Message):
    __slots__ = ("operation", "id", "rules", "revision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    RULES_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    id: str
    rules: _containers.RepeatedCompositeFieldContainer[SecurityGroupRuleState]
    revision: int
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., id: _Optional[str] = ..., rules: _Optional[_Iterable[_Union[SecurityGroupRuleState, _Mapping]]] = ..., revision: _Optional[int] = ...) -> None: ...

class SecurityGroupMembers(_message.Message):
    __slots__ = ("operation", "group_id", "ip_addresses", "revision", "incremental", "added_ip_addresses", "removed_ip_addresses")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    INCREMENTAL_FIELD_NUMBER: _ClassVar[int]
    ADDED_IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    REMOVED_IP_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    group_id: str
    ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    revision: int
    incremental: bool
    added_ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    removed_ip_addresses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., group_id: _Optional[str] = ..., ip_addresses: _Optional[_Iterable[str]] = ..., revision: _Optional[int] = ..., incremental: _Optional[bool] = ..., added_ip_addresses: _Optional[_Iterable[str]] = ..., removed_ip_addresses: _Optional[_Iterable[str]] = ...) -> None: ...

class RouterInterface(_message.Message):
    __slots__ = ("subnet_id", "cidr", "gateway_ip")
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    CIDR_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_IP_FIELD_NUMBER: _ClassVar[int]
    subnet_id: str
    cidr: str
    gateway_ip: str
    def __init__(self, subnet_id: _Optional[str] = ..., cidr: _Optional[str] = ..., gateway_ip: _Optional[str] = ...) -> None: ...

class RouterState(_message.Message):
    __slots__ = ("operation", "id", "vpc_id", "interfaces", "gateway_mac", "revision")
    OPERATION_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    VPC_ID_FIELD_NUMBER: _ClassVar[int]
    INTERFACES_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_MAC_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    operation: Operation
    id: str
    vpc_id: str
    interfaces: _containers.RepeatedCompositeFieldContainer[RouterInterface]
    gateway_mac: str
    revision: int
    def __init__(self, operation: _Optional[_Union[Operation, str]] = ..., id: _Optional[str] = ..., vpc_id: _Optional[str] = ..., interfaces: _Optional[_Iterable[_Union[RouterInterface, _Mapping]]] = ..., gateway_mac: _Optional[str] = ..., revision: _Optional[int] = ...) -> None: ...

class HostGoalState(_message.Message):
    __slots__ = ("host_name", "update_type", "revision", "base_revision", "vpcs", "subnets", "ports", "neighbors", "security_groups", "security_group_members", "routers")
    HOST_NAME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TYPE_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    BASE_REVISION_FIELD_NUMBER: _ClassVar[int]
    VPCS_FIELD_NUMBER: _ClassVar[int]
    SUBNETS_FIELD_NUMBER: _ClassVar[int]
    PORTS_FIELD_NUMBER: _ClassVar[int]
    NEIGHBORS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUPS_FIELD_NUMBER: _ClassVar[int]
    SECURITY_GROUP_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    ROUTERS_FIELD_NUMBER: _ClassVar[int]
    host_name: str
    update_type: UpdateType
    revision: int
    base_revision: int
    vpcs: _containers.RepeatedCompositeFieldContainer[VpcState]
    subnets: _containers.RepeatedCompositeFieldContainer[SubnetState]
    ports: _containers.RepeatedCompositeFieldContainer[PortState]
    neighbors: _containers.RepeatedCompositeFieldContainer[NeighborState]
    security_groups: _containers.RepeatedCompositeFieldContainer[SecurityGroupState]
    security_group_members: _containers.RepeatedCompositeFieldContainer[SecurityGroupMembers]
    routers: _containers.RepeatedCompositeFieldContainer[RouterState]
    def __init__(self, host_name: _Optional[str] = ..., update_type: _Optional[_Union[UpdateType, str]] = ..., revision: _Optional[int] = ..., base_revision: _Optional[int] = ..., vpcs: _Optional[_Iterable[_Union[VpcState, _Mapping]]] = ..., subnets: _Optional[_Iterable[_Union[SubnetState, _Mapping]]] = ..., ports: _Optional[_Iterable[_Union[PortState, _Mapping]]] = ..., neighbors: _Optional[_Iterable[_Union[NeighborState, _Mapping]]] = ..., security_groups: _Optional[_Iterable[_Union[SecurityGroupState, _Mapping]]] = ..., security_group_members: _Optional[_Iterable[_Union[SecurityGroupMembers, _Mapping]]] = ..., routers: _Optional[_Iterable[_Union[RouterState, _Mapping]]] = ...) -> None: ...

class AgentHello(_message.Message):
    __slots__ = ("host_name", "applied_revision")
    HOST_NAME_FIELD_NUMBER: _ClassVar[int]
    APPLIED_REVISION_FIELD_NUMBER: _ClassVar[int]
    host_name: str
    applied_revision: int
    def __init__(self, host_name: _Optional[str] = ..., applied_revision: _Optional[int] = ...) -> None: ...

class ResourceStatus(_message.Message):
    __slots__ = ("type", "id", "status", "reason", "revision", "elapsed_us")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    ELAPSED_US_FIELD_NUMBER: _ClassVar[int]
    type: ResourceType
    id: str
    status: ProgrammingStatus
    reason: str
    revision: int
    elapsed_us: int
    def __init__(self, type: _Optional[_Union[ResourceType, str]] = ..., id: _Optional[str] = ..., status: _Optional[_Union[ProgrammingStatus, str]] = ..., reason: _Optional[str] = ..., revision: _Optional[int] = ..., elapsed_us: _Optional[int] = ...) -> None: ...

class ProgrammingReport(_message.Message):
    __slots__ = ("revision", "statuses")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    STATUSES_FIELD_NUMBER: _ClassVar[int]
    revision: int
    statuses: _containers.RepeatedCompositeFieldContainer[ResourceStatus]
    def __init__(self, revision: _Optional[int] = ..., statuses: _Optional[_Iterable[_Union[ResourceStatus, _Mapping]]] = ...) -> None: ...

class StreamGoalStatesRequest(_message.Message):
    __slots__ = ("hello", "report")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    hello: AgentHello
    report: ProgrammingReport
    def __init__(self, hello: _Optional[_Union[AgentHello, _Mapping]] = ..., report: _Optional[_Union[ProgrammingReport, _Mapping]] = ...) -> None: ...

class StreamGoalStatesResponse(_message.Message):
    __slots__ = ("goal_state",)
    GOAL_STATE_FIELD_NUMBER: _ClassVar[int]
    goal_state: HostGoalState
    def __init__(self, goal_state: _Optional[_Union[HostGoalState, _Mapping]] = ...) -> None: ...

class PortStatusRecord(_message.Message):
    __slots__ = ("status", "reason", "host_name", "port_revision")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    HOST_NAME_FIELD_NUMBER: _ClassVar[int]
    PORT_REVISION_FIELD_NUMBER: _ClassVar[int]
    status: str
    reason: str
    host_name: str
    port_revision: int
    def __init__(self, status: _Optional[str] = ..., reason: _Optional[str] = ..., host_name: _Optional[str] = ..., port_revision: _Optional[int] = ...) -> None: ...
