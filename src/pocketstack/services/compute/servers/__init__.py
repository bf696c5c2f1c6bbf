"""Servers and everything under /servers/{id}."""

from pocketstack.services.compute.servers import actions, consoles, interfaces, metadata, routes, shares, volumes

ROUTES = [*routes.ROUTES, *actions.ROUTES, *consoles.ROUTES, *metadata.ROUTES, *interfaces.ROUTES, *volumes.ROUTES,
          *shares.ROUTES]
