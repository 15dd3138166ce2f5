"""svc_port: ports, and the orchestration of their IPs (svc_ip), MACs
(svc_mac), networks (svc_vpc) and host bindings (svc_dpm)."""
