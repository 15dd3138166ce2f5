"""Gateway configuration: the shared Settings (service addresses, default
project, rpc_timeout...) plus what only the gateway reads, and the table that
says which address serves which gRPC service."""
from __future__ import annotations

from dataclasses import dataclass

from runtime.config import Settings

# gRPC service full name -> the Settings field holding its address. A service
# with google.api.http rules that is not listed here fails the start.
SERVICE_ADDRESS_FIELDS: dict[str, str] = {
    "alcor.v1.NetworkService": "vpc_addr",
    "alcor.v1.SubnetService": "vpc_addr",
    "alcor.v1.SecurityGroupService": "vpc_addr",
    "alcor.v1.SecurityGroupRuleService": "vpc_addr",
    "alcor.v1.RouterService": "vpc_addr",
    "alcor.v1.PortService": "port_addr",
    "alcor.v1.NodeService": "dpm_addr",
    "alcor.v1.GoalStateService": "dpm_addr",
    "alcor.v1.IpamService": "ip_addr",
    "alcor.v1.MacService": "mac_addr",
}


@dataclass(frozen=True)
class GatewaySettings(Settings):
    # JSON file mapping X-Auth-Token values to a project and roles (see
    # gateway/auth.py). Empty: no-auth mode.
    token_file: str = ""
    # Base URL written into links and the version document, e.g.
    # https://neutron.example.com:9696. Empty: taken from each request's Host.
    public_url: str = ""
    # Largest request body accepted (a bulk of ten thousand ports is ~3 MiB).
    max_body_bytes: int = 32 * 1024 * 1024
    # Upper bound on a Grpc-Timeout a caller may ask for, in seconds.
    max_timeout: float = 300.0

    def address_of(self, service: str) -> str:
        field_name = SERVICE_ADDRESS_FIELDS.get(service)
        if field_name is None:
            raise LookupError(f"no address configured for gRPC service {service}; "
                              "add it to gateway.config.SERVICE_ADDRESS_FIELDS")
        return getattr(self, field_name)
