"""The `alcor` command: a local cluster (etcd and every service as its own
process), its status, and benchmarks."""
