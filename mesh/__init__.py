"""The service mesh: the traffic policy (read from the Helm chart's values,
its one source), the local Envoy configuration generated from it, and the
local mesh runner behind `alcor up --mesh`."""
