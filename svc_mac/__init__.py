"""svc_mac: MAC addresses under the region's OUI, unique region-wide."""
