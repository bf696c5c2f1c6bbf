"""Image locations: GET /v2/images/{image_id}/locations (api-ref: image, Image locations; Glance 2.17),
for the service users that need to know where an image's data lives (Nova, Cinder).

Each store holding the image's data is one location, by weight as Glance sorts them: the file the
data lives in (`file://`, what Glance's filesystem store reports) and the store's id.
"""

from __future__ import annotations

from typing import Any

from pocketstack.core import blobs, db
from pocketstack.core.context import Context
from pocketstack.core.routing import ApiRequest, route
from pocketstack.services.image import access, stores


# --- views -----------------------------------------------------------------------------------
def render_locations(image: dict[str, Any]) -> list[dict[str, Any]]:
    store = blobs.store()
    return [{"url": f"file://{store.path(stores.data_key(image['id'], sid))}", "metadata": {"store": sid}}
            for sid in stores.split(stores.join(stores.split(image["stores"])))
            if store.exists(stores.data_key(image["id"], sid))]


# --- routes ------------------------------------------------------------------------------------
def list_locations(ctx: Context, rq: ApiRequest) -> list[dict[str, Any]]:
    with db.reader() as conn:
        image = access.load(conn, ctx, rq.params["image_id"])
    return render_locations(image)


ROUTES = [
    route("GET", "/v2/images/{image_id}/locations", list_locations, policy="fetch_image_location",
          target=access.image_target),
]
