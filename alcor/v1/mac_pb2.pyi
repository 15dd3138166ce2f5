# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from alcor.v1 import reservation_pb2 as _reservation_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MacRequest(_message.Message):
    __slots__ = ("mac_address",)
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    mac_address: str
    def __init__(self, mac_address: _Optional[str] = ...) -> None: ...

class AllocateMacsRequest(_message.Message):
    __slots__ = ("requests",)
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[MacRequest]
    def __init__(self, requests: _Optional[_Iterable[_Union[MacRequest, _Mapping]]] = ...) -> None: ...

class AllocateMacsResponse(_message.Message):
    __slots__ = ("mac_addresses",)
    MAC_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    mac_addresses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mac_addresses: _Optional[_Iterable[str]] = ...) -> None: ...

class ReleaseMacsRequest(_message.Message):
    __slots__ = ("mac_addresses",)
    MAC_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    mac_addresses: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mac_addresses: _Optional[_Iterable[str]] = ...) -> None: ...

class ReleaseMacsResponse(_message.Message):
    __slots__ = ("released",)
    RELEASED_FIELD_NUMBER: _ClassVar[int]
    released: int
    def __init__(self, released: _Optional[int] = ...) -> None: ...

class AllocateMacsBatchRequest(_message.Message):
    __slots__ = ("calls", "idempotency_keys")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEYS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[AllocateMacsRequest]
    idempotency_keys: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, calls: _Optional[_Iterable[_Union[AllocateMacsRequest, _Mapping]]] = ..., idempotency_keys: _Optional[_Iterable[str]] = ...) -> None: ...

class AllocateMacsOutcome(_message.Message):
    __slots__ = ("allocated", "error", "replayed")
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    allocated: AllocateMacsResponse
    error: _status_pb2.Status
    replayed: bool
    def __init__(self, allocated: _Optional[_Union[AllocateMacsResponse, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., replayed: _Optional[bool] = ...) -> None: ...

class AllocateMacsBatchResponse(_message.Message):
    __slots__ = ("outcomes",)
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AllocateMacsOutcome]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AllocateMacsOutcome, _Mapping]]] = ...) -> None: ...

class ReserveMacsRequest(_message.Message):
    __slots__ = ("calls", "fresh", "chain", "chain_seq")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    FRESH_FIELD_NUMBER: _ClassVar[int]
    CHAIN_FIELD_NUMBER: _ClassVar[int]
    CHAIN_SEQ_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[AllocateMacsRequest]
    fresh: bool
    chain: str
    chain_seq: int
    def __init__(self, calls: _Optional[_Iterable[_Union[AllocateMacsRequest, _Mapping]]] = ..., fresh: _Optional[bool] = ..., chain: _Optional[str] = ..., chain_seq: _Optional[int] = ...) -> None: ...

class ReserveMacsResponse(_message.Message):
    __slots__ = ("outcomes", "reservations", "fresh_keys")
    OUTCOMES_FIELD_NUMBER: _ClassVar[int]
    RESERVATIONS_FIELD_NUMBER: _ClassVar[int]
    FRESH_KEYS_FIELD_NUMBER: _ClassVar[int]
    outcomes: _containers.RepeatedCompositeFieldContainer[AllocateMacsOutcome]
    reservations: _containers.RepeatedCompositeFieldContainer[_reservation_pb2.Reservation]
    fresh_keys: _containers.RepeatedScalarFieldContainer[bytes]
    def __init__(self, outcomes: _Optional[_Iterable[_Union[AllocateMacsOutcome, _Mapping]]] = ..., reservations: _Optional[_Iterable[_Union[_reservation_pb2.Reservation, _Mapping]]] = ..., fresh_keys: _Optional[_Iterable[bytes]] = ...) -> None: ...
