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

class RouterRoute(_message.Message):
    __slots__ = ("destination", "nexthop")
    DESTINATION_FIELD_NUMBER: _ClassVar[int]
    NEXTHOP_FIELD_NUMBER: _ClassVar[int]
    destination: str
    nexthop: str
    def __init__(self, destination: _Optional[str] = ..., nexthop: _Optional[str] = ...) -> None: ...

class Router(_message.Message):
    __slots__ = ("id", "name", "description", "project_id", "tenant_id", "admin_state_up", "status", "routes", "distributed", "ha", "tags", "revision_number", "created_at", "updated_at", "subnet_ids", "network_id", "availability_zones", "availability_zone_hints")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ADMIN_STATE_UP_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    DISTRIBUTED_FIELD_NUMBER: _ClassVar[int]
    HA_FIELD_NUMBER: _ClassVar[int]
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SUBNET_IDS_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONES_FIELD_NUMBER: _ClassVar[int]
    AVAILABILITY_ZONE_HINTS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    project_id: str
    tenant_id: str
    admin_state_up: bool
    status: str
    routes: _containers.RepeatedCompositeFieldContainer[RouterRoute]
    distributed: bool
    ha: bool
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: int
    created_at: str
    updated_at: str
    subnet_ids: _containers.RepeatedScalarFieldContainer[str]
    network_id: str
    availability_zones: _containers.RepeatedScalarFieldContainer[str]
    availability_zone_hints: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ..., admin_state_up: _Optional[bool] = ..., status: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[RouterRoute, _Mapping]]] = ..., distributed: _Optional[bool] = ..., ha: _Optional[bool] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[int] = ..., created_at: _Optional[str] = ..., updated_at: _Optional[str] = ..., subnet_ids: _Optional[_Iterable[str]] = ..., network_id: _Optional[str] = ..., availability_zones: _Optional[_Iterable[str]] = ..., availability_zone_hints: _Optional[_Iterable[str]] = ...) -> None: ...

class CreateRoutersRequest(_message.Message):
    __slots__ = ("router", "routers")
    ROUTER_FIELD_NUMBER: _ClassVar[int]
    ROUTERS_FIELD_NUMBER: _ClassVar[int]
    router: Router
    routers: _containers.RepeatedCompositeFieldContainer[Router]
    def __init__(self, router: _Optional[_Union[Router, _Mapping]] = ..., routers: _Optional[_Iterable[_Union[Router, _Mapping]]] = ...) -> None: ...

class CreateRoutersResponse(_message.Message):
    __slots__ = ("router", "routers")
    ROUTER_FIELD_NUMBER: _ClassVar[int]
    ROUTERS_FIELD_NUMBER: _ClassVar[int]
    router: Router
    routers: _containers.RepeatedCompositeFieldContainer[Router]
    def __init__(self, router: _Optional[_Union[Router, _Mapping]] = ..., routers: _Optional[_Iterable[_Union[Router, _Mapping]]] = ...) -> None: ...

class GetRouterRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetRouterResponse(_message.Message):
    __slots__ = ("router",)
    ROUTER_FIELD_NUMBER: _ClassVar[int]
    router: Router
    def __init__(self, router: _Optional[_Union[Router, _Mapping]] = ...) -> None: ...

class ListRoutersRequest(_message.Message):
    __slots__ = ("limit", "marker", "sort_key", "sort_dir", "page_reverse", "fields", "id", "name", "project_id", "tenant_id", "description", "admin_state_up", "status", "tags", "revision_number")
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
    TAGS_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
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
    tags: _containers.RepeatedScalarFieldContainer[str]
    revision_number: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, limit: _Optional[int] = ..., marker: _Optional[str] = ..., sort_key: _Optional[_Iterable[str]] = ..., sort_dir: _Optional[_Iterable[str]] = ..., page_reverse: _Optional[bool] = ..., fields: _Optional[_Iterable[str]] = ..., id: _Optional[_Iterable[str]] = ..., name: _Optional[_Iterable[str]] = ..., project_id: _Optional[_Iterable[str]] = ..., tenant_id: _Optional[_Iterable[str]] = ..., description: _Optional[_Iterable[str]] = ..., admin_state_up: _Optional[_Iterable[str]] = ..., status: _Optional[_Iterable[str]] = ..., tags: _Optional[_Iterable[str]] = ..., revision_number: _Optional[_Iterable[str]] = ...) -> None: ...

class ListRoutersResponse(_message.Message):
    __slots__ = ("routers", "routers_links")
    ROUTERS_FIELD_NUMBER: _ClassVar[int]
    ROUTERS_LINKS_FIELD_NUMBER: _ClassVar[int]
    routers: _containers.RepeatedCompositeFieldContainer[Router]
    routers_links: _containers.RepeatedCompositeFieldContainer[_common_pb2.Link]
    def __init__(self, routers: _Optional[_Iterable[_Union[Router, _Mapping]]] = ..., routers_links: _Optional[_Iterable[_Union[_common_pb2.Link, _Mapping]]] = ...) -> None: ...

class UpdateRouterRequest(_message.Message):
    __slots__ = ("id", "router", "update_mask", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    ROUTER_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    router: Router
    update_mask: _field_mask_pb2.FieldMask
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., router: _Optional[_Union[Router, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., if_revision: _Optional[int] = ...) -> None: ...

class UpdateRouterResponse(_message.Message):
    __slots__ = ("router",)
    ROUTER_FIELD_NUMBER: _ClassVar[int]
    router: Router
    def __init__(self, router: _Optional[_Union[Router, _Mapping]] = ...) -> None: ...

class DeleteRouterRequest(_message.Message):
    __slots__ = ("id", "if_revision")
    ID_FIELD_NUMBER: _ClassVar[int]
    IF_REVISION_FIELD_NUMBER: _ClassVar[int]
    id: str
    if_revision: int
    def __init__(self, id: _Optional[str] = ..., if_revision: _Optional[int] = ...) -> None: ...

class DeleteRouterResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class AddRouterInterfaceRequest(_message.Message):
    __slots__ = ("id", "subnet_id", "port_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    subnet_id: str
    port_id: str
    def __init__(self, id: _Optional[str] = ..., subnet_id: _Optional[str] = ..., port_id: _Optional[str] = ...) -> None: ...

class AddRouterInterfaceResponse(_message.Message):
    __slots__ = ("id", "subnet_id", "subnet_ids", "port_id", "network_id", "project_id", "tenant_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_IDS_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    subnet_id: str
    subnet_ids: _containers.RepeatedScalarFieldContainer[str]
    port_id: str
    network_id: str
    project_id: str
    tenant_id: str
    def __init__(self, id: _Optional[str] = ..., subnet_id: _Optional[str] = ..., subnet_ids: _Optional[_Iterable[str]] = ..., port_id: _Optional[str] = ..., network_id: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class RemoveRouterInterfaceRequest(_message.Message):
    __slots__ = ("id", "subnet_id", "port_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    subnet_id: str
    port_id: str
    def __init__(self, id: _Optional[str] = ..., subnet_id: _Optional[str] = ..., port_id: _Optional[str] = ...) -> None: ...

class RemoveRouterInterfaceResponse(_message.Message):
    __slots__ = ("id", "subnet_id", "subnet_ids", "port_id", "network_id", "project_id", "tenant_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_ID_FIELD_NUMBER: _ClassVar[int]
    SUBNET_IDS_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    subnet_id: str
    subnet_ids: _containers.RepeatedScalarFieldContainer[str]
    port_id: str
    network_id: str
    project_id: str
    tenant_id: str
    def __init__(self, id: _Optional[str] = ..., subnet_id: _Optional[str] = ..., subnet_ids: _Optional[_Iterable[str]] = ..., port_id: _Optional[str] = ..., network_id: _Optional[str] = ..., project_id: _Optional[str] = ..., tenant_id: _Optional[str] = ...) -> None: ...
