"""Compute microversions: one named constant per version this service acts on
(nova/api/openstack/api_version_request.py REST_API_VERSION_HISTORY notes)."""

from __future__ import annotations

from pocketstack.core.versions import Microversions, V

MIN = V("2.1", "baseline, equal to v2.0")
KEYPAIR_TYPE = V("2.2", "keypairs gain 'type'; create returns 201, delete 204")
EXTENDED_ATTRS = V("2.3", "more OS-EXT-SRV-ATTR fields for admins")
KEYPAIR_USER = V("2.10", "admins may act on another user's keypairs; keypairs show user_id")
SERVER_DESCRIPTION = V("2.19", "servers carry a description")
LOCKED_FIELD = V("2.9", "servers show 'locked'")
INSTANCE_ACTIONS_EVENTS = V("2.51", "instance action events show to non-admins (host hashes)")
SERVER_TAGS = V("2.26", "the server tags API")
FLAVOR_LIST_PAGING_DEFAULT = V("2.37", "networks 'auto'/'none' required on create")
AUTO_NETWORKS = V("2.37", "networks 'auto'/'none' and the field is required")
KEYPAIR_PAGING = V("2.35", "keypairs list takes limit and marker")
SERVER_GROUP_PROJECT = V("2.13", "server groups show project_id and user_id")
FLAVOR_EMBEDDED = V("2.47", "servers embed the flavor instead of linking it")
TAGS_ON_CREATE = V("2.52", "servers can be tagged on create")
FLAVOR_DESCRIPTION = V("2.55", "flavors carry a description; PUT /flavors/{id}")
MULTIATTACH = V("2.60", "multiattach volumes attach and boot")
FLAVOR_EXTRA_SPECS_IN_FLAVOR = V("2.61", "flavors embed extra_specs")
SERVER_GROUP_POLICY = V("2.64", "server groups have one 'policy' and 'rules'")
SERVER_CHANGES_BEFORE = V("2.66", "changes-before filter")
TRUSTED_CERTS = V("2.63", "servers show trusted_image_certificates")
FLAVOR_NO_DETAIL_LINKS = V("2.69", "down cells tolerated in lists")
DEVICE_TAGS_SHOWN = V("2.70", "interfaces and volume attachments show tags")
SERVER_GROUPS_IN_SHOW = V("2.71", "servers show server_groups")
LOCKED_REASON = V("2.73", "lock takes locked_reason; servers show it")
SERVER_FIELDS_ALWAYS = V("2.75", "servers show power_state etc. consistently; rebuild returns the full server")
FLAVOR_HOST_STATUS = V("2.16", "servers show host_status")
AZ_ON_UNSHELVE = V("2.77", "unshelve takes availability_zone")
KEYPAIR_NO_PAGING_2 = V("2.92", "keypair import only (no generated keys)")
HOSTNAME = V("2.90", "servers take and show 'hostname'")
REBUILD_VOLUME_BACKED = V("2.93", "rebuild of a volume-backed server reimages its root volume")
PINNED_AZ = V("2.96", "servers show pinned_availability_zone")
MAX = V("2.96", "the newest version implemented here")

MICROVERSIONS = Microversions(name="compute", min=MIN, max=MAX, legacy=("X-OpenStack-Nova-API-Version",))
