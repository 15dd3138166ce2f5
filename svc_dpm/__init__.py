"""svc_dpm: the data-plane manager. The host registry (nodes) and the
delivery of per-host goal states to agents."""
