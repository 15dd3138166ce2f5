"""svc_ip: IP address management. Every fixed IP of every port is allocated here."""
