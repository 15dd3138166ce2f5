# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Reservation(_message.Message):
    __slots__ = ("guards", "writes")
    GUARDS_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    guards: _containers.RepeatedCompositeFieldContainer[KeyGuard]
    writes: _containers.RepeatedCompositeFieldContainer[KeyWrite]
    def __init__(self, guards: _Optional[_Iterable[_Union[KeyGuard, _Mapping]]] = ..., writes: _Optional[_Iterable[_Union[KeyWrite, _Mapping]]] = ...) -> None: ...

class KeyGuard(_message.Message):
    __slots__ = ("key", "absent", "mod_revision", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    ABSENT_FIELD_NUMBER: _ClassVar[int]
    MOD_REVISION_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    absent: bool
    mod_revision: int
    value: bytes
    def __init__(self, key: _Optional[bytes] = ..., absent: _Optional[bool] = ..., mod_revision: _Optional[int] = ..., value: _Optional[bytes] = ...) -> None: ...

class KeyWrite(_message.Message):
    __slots__ = ("key", "value", "delete")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    key: bytes
    value: bytes
    delete: bool
    def __init__(self, key: _Optional[bytes] = ..., value: _Optional[bytes] = ..., delete: _Optional[bool] = ...) -> None: ...
