"""Block Storage microversions: one named constant per version this service acts on
(cinder/api/microversions.py names; cinder/api/openstack/rest_api_version_history.rst notes)."""

from __future__ import annotations

from pocketstack.core.versions import Microversions, V

MIN = V("3.0", "the v3 API, equal to v2")
UPLOAD_IMAGE_PARAMS = V("3.1", "os-volume_upload_image takes visibility and protected")
VOLUME_LIST_BOOTABLE = V("3.2", "bootable filter on volume lists")
MANAGE_EXISTING_LIST = V("3.8", "manageable_volumes and manageable_snapshots lists")
BACKUP_UPDATE = V("3.9", "backups can be updated (name, description)")
VOLUME_SUMMARY = V("3.12", "GET /volumes/summary")
GROUP_VOLUME = V("3.13", "volumes show group_id")
BACKUP_PROJECT = V("3.18", "backups show os-backup-project-attr:project_id to admins")
VOLUME_DETAIL_PROVIDER_ID = V("3.21", "volumes show provider_id to admins")
VOLUME_DELETE_FORCE = V("3.23", "DELETE /volumes/{id}?force=True")
NEW_ATTACH = V("3.27", "the attachments API")
SNAPSHOT_SORT = V("3.30", "snapshots sort by name")
RESOURCE_FILTER = V("3.31", "generic filters on lists")
LIKE_FILTER = V("3.34", "name~ style inexact filters")
VOLUME_SUMMARY_METADATA = V("3.36", "the volume summary lists metadata")
BACKUP_SORT_NAME = V("3.37", "backups sort by name")
VOLUME_REVERT = V("3.40", "POST /volumes/{id}/action revert")
SNAPSHOT_LIST_USER_ID = V("3.41", "snapshots show user_id")
VOLUME_EXTEND_INUSE = V("3.42", "an in-use volume can be extended")
BACKUP_METADATA = V("3.43", "backups carry metadata")
NEW_ATTACH_COMPLETION = V("3.44", "os-complete on attachments")
SUPPORT_COUNT_INFO = V("3.45", "with_count on lists")
VOLUME_CREATE_FROM_BACKUP = V("3.47", "volumes created from a backup_id")
VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS = V("3.48", "volumes show shared_targets and service_uuid")
BACKUP_AZ = V("3.51", "backups take an availability_zone")
ATTACHMENT_CREATE_MODE_ARG = V("3.54", "attachment create takes mode")
BACKUP_PROJECT_USER_ID = V("3.56", "backups show user_id")
VOLUME_CLUSTER_NAME = V("3.61", "volumes show cluster_name to admins")
VOLUME_TYPE_ID_IN_VOLUME_DETAIL = V("3.63", "volumes show volume_type_id")
ENCRYPTION_KEY_ID_IN_DETAILS = V("3.64", "volumes and backups show encryption_key_id when set")
USE_QUOTA = V("3.65", "volumes and snapshots show consumes_quota")
SNAPSHOT_IN_USE = V("3.66", "an in-use volume can be snapshotted without force")
PROJECT_ID_OPTIONAL_IN_URL = V("3.67", "URLs without the project id")
SHARED_TARGETS_TRISTATE = V("3.69", "shared_targets may be null")
MAX = V("3.70", "encrypted volume transfers (not implemented: no encryption here)")

MICROVERSIONS = Microversions(name="volume", min=MIN, max=MAX)
