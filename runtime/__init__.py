"""Shared plumbing for every Alcor process: config, errors, the etcd store,
server bootstrap, clients and tracing. Only plumbing lives here; domain logic
lives in the service packages."""
