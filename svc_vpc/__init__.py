"""svc_vpc: VPCs (Neutron networks) with their VNIs, and their subnets."""
