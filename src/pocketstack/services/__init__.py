"""Every catalog service, in bootstrap order (identity first: the others need its projects)."""

from pocketstack.core.routing import Service
from pocketstack.services import (
    accelerator, baremetal, block_storage, compute, identity, image, network, object_store, orchestration,
    placement)

ALL: list[Service] = [identity.SERVICE, placement.SERVICE, image.SERVICE, object_store.SERVICE, network.SERVICE,
                      block_storage.SERVICE, compute.SERVICE, baremetal.SERVICE, accelerator.SERVICE, orchestration.SERVICE]
