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

class Node(_message.Message):
    __slots__ = ("id", "name", "local_ip", "mac_address", "revision_number", "created_at", "updated_at", "project_id", "tenant_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCAL_IP_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    local_ip: str
    mac_address: str
    revision_number: int
    created_at: str
    updated_at: str
    project_id: str
    tenant_id: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., local_ip: _Optional[str] = ..., mac_address: _Optional[str] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class CreateNodesRequest(_message.Message):
    __slots__ = ("node", "nodes")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    node: Node
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...

class CreateNodesResponse(_message.Message):
    __slots__ = ("node", "nodes")
    NODE_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    node: Node
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class ListNodesRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "local_ip", "mac_address")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MARKER_FIELD_NUMBER: _ClassVar[int]
    SORT_KEY_FIELD_NUMBER: _ClassVar[int]
    SORT_DIR_FIELD_NUMBER: _ClassVar[int]
    PAGE_REVERSE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCAL_IP_FIELD_NUMBER: _ClassVar[int]
    MAC_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    limit: int
    marker: str
    sort_key: _containers.RepeatedScalarFieldContainer[str]
    sort_dir: _containers.RepeatedScalarFieldContainer[str]
    page_reverse: bool
    fields: _containers.RepeatedScalarFieldContainer[str]
    id: _containers.RepeatedScalarFieldContainer[str]
    name: _containers.RepeatedScalarFieldContainer[str]
    local_ip: _containers.RepeatedScalarFieldContainer[str]
    mac_address: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., local_ip: _Optional[_Iterable[str]] = ..., mac_address: _Optional[_Iterable[str]] = ...) -> None: ...

class ListNodesResponse(_message.Message):
    __slots__ = ("nodes", "nodes_links")
    NODES_FIELD_NUMBER: _ClassVar[int]
    NODES_LINKS_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    nodes_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ..., nodes_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdateNodeRequest(_message.Message):
    __slots__ = ("id", "node", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    node: Node
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., node: _Optional[_Union[Node, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdateNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: Node
    def __init__(self, node: _Optional[_Union[Node, _Mapping]] = ...) -> None: ...

class DeleteNodeRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeleteNodeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class LookupNodesRequest(_message.Message):
    __slots__ = ("names", "skip_missing")
    NAMES_FIELD_NUMBER: _ClassVar[int]
    SKIP_MISSING_FIELD_NUMBER: _ClassVar[int]
    names: _containers.RepeatedScalarFieldContainer[str]
    skip_missing: bool
    def __init__(self, names: _Optional[_Iterable[str]] = ..., skip_missing: _Optional[bool] = ...) -> None: ...

class LookupNodesResponse(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...
