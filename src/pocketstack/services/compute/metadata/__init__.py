"""The metadata service (nova-api-metadata) and what the config drive holds: instance.py gathers a server's data,
netinfo.py and tree.py render it as nova does, routes.py serves it under /compute/metadata."""
