# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
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
