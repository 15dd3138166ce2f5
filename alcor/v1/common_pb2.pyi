# DO NOT EDIT: generated from protos/ by tools/gen_protos.sh
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Link(_message.Message):
    __slots__ = ("rel", "href")
    REL_FIELD_NUMBER: _ClassVar[int]
    HREF_FIELD_NUMBER: _ClassVar[int]
    rel: str
    href: str
    def __init__(self, rel: _Optional[str] = ..., href: _Optional[str] = ...) -> None: ...

class AllocationPool(_message.Message):
    __slots__ = ("start", "end")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    start: str
    end: str
    def __init__(self, start: _Optional[str] = ..., end: _Optional[str] = ...) -> None: ...

class HostRoute(_message.Message):
    __slots__ = ("destination", "nexthop")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    NEXTHOP_FIELD_NUMBER: _ClassVar[int]
    destination: str
    nexthop: str
    def __init__(self, destination: _Optional[str] = ..., nexthop: _Optional[str] = ...) -> None: ...

class FixedIp(_message.Message):
    __slots__ = ("subnet_id", "ip_address")
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    IP_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    subnet_id: str
    ip_address: str
    def __init__(self, subnet_id: _Optional[str] = ..., ip_address: _Optional[str] = ...) -> None: ...
