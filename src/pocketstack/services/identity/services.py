"""Identity: stub, being written."""

from pocketstack.core.routing import Route

ROUTES: list[Route] = []
