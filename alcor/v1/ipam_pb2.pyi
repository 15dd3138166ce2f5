# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from alcor.v1 import reservation_pb2 as _reservation_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IpRequest(_message.Message):
    __slots__ = ("subnet_id", "ip_address", "network_id", "ip_version")
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    IP_VERSION_FIELD_NUMBER: _ClassVar[int]
    subnet_id: str
    ip_address: str
    network_id: str
    ip_version: int
    def __init__(self, subnet_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., network_id: _Optional[str] = ..., ip_version: _Optional[int] = ...) -> None: ...

class IpAllocation(_message.Message):
    __slots__ = ("subnet_id", "ip_address", "network_id", "ip_version")
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    IP_VERSION_FIELD_NUMBER: _ClassVar[int]
    subnet_id: str
    ip_address: str
    network_id: str
    ip_version: int
    def __init__(self, subnet_id: _Optional[str] = ..., ip_address: _Optional[str] = ..., network_id: _Optional[str] = ..., ip_version: _Optional[int] = ...) -> None: ...

class AllocateIpsRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[IpRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[IpRequest, _Mapping]]] = ...) -> None: ...

class AllocateIpsResponse(_message.Message):
    __slots__ = ("allocations",)
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    allocations: _containers.RepeatedCompositeFieldContainer[IpAllocation]
    def __init__(self, allocations: _Optional[_Iterable[_Union[IpAllocation, _Mapping]]] = ...) -> None: ...

class ReleaseIpsRequest(_message.Message):
    __slots__ = ("allocations",)
    ALLOCATIONS_FIELD_NUMBER: _ClassVar[int]
    allocations: _containers.RepeatedCompositeFieldContainer[IpAllocation]
    def __init__(self, allocations: _Optional[_Iterable[_Union[IpAllocation, _Mapping]]] = ...) -> None: ...

class ReleaseIpsResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: int
    def __init__(self, released: _Optional[int] = ...) -> None: ...

class AllocateIpsBatchRequest(_message.Message):
    __slots__ = ("calls", "idempotency_keys")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEYS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[AllocateIpsRequest]
    idempotency_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, calls: _Optional[_Iterable[_Union[AllocateIpsRequest, _Mapping]]] = ..., idempotency_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class AllocateIpsOutcome(_message.Message):
    __slots__ = ("allocated", "error", "replayed")
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    allocated: AllocateIpsResponse
    error: _status_pb2.Status
    replayed: bool
    def __init__(self, allocated: _Optional[_Union[AllocateIpsResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AllocateIpsBatchResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AllocateIpsOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AllocateIpsOutcome, _Mapping]]] = ...) -> None: ...

class ReserveIpsRequest(_message.Message):
    __slots__ = ("calls", "fresh", "chain", "chain_seq")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    CHAIN_SEQ_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[AllocateIpsRequest]
    fresh: bool
    chain: str
    chain_seq: int
    def __init__(self, calls: _Optional[_Iterable[_Union[AllocateIpsRequest, _Mapping]]] = ..., fresh: _Optional[bool] = ..., chain: _Optional[str] = ..., chain_seq: _Optional[int] = ...) -> None: ...

class ReserveIpsResponse(_message.Message):
    __slots__ = ("outcomes", "reservations", "fresh_keys")
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    FRESH_KEYS_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AllocateIpsOutcome]
    reservations: _containers.RepeatedCompositeFieldContainer[_reservation_pb2.Reservation]
    fresh_keys: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AllocateIpsOutcome, _Mapping]]] = ..., reservations: _Optional[_Iterable[_Union[_reservation_pb2.Reservation, _Mapping]]] = ..., fresh_keys: _Optional[_Iterable[bytes]] = ...) -> None: ...
