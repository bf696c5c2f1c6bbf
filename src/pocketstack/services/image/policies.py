"""Image policy rules: upstream Glance names and default check strings (glance/policies/*.py)."""

from __future__ import annotations

from pocketstack.core.policy import RuleDefault, rule

PROJECT_MEMBER = "role:member and project_id:%(project_id)s"
PROJECT_READER = "role:reader and project_id:%(project_id)s"
IMAGE_MEMBER = "project_id:%(member_id)s"
SEEN = (f"project_id:%(project_id)s or {IMAGE_MEMBER} or 'community':%(visibility)s "
        "or 'public':%(visibility)s or 'shared':%(visibility)s")
ADMIN = "rule:context_is_admin"
ADMIN_OR_MEMBER = f"{ADMIN} or ({PROJECT_MEMBER})"
ADMIN_OR_READER = f"{ADMIN} or ({PROJECT_READER})"
GET_IMAGE = f"{ADMIN} or (role:reader and ({SEEN}))"
DOWNLOAD_IMAGE = f"{ADMIN} or (role:member and ({SEEN}))"
CREATE_IMAGE = f"{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)"
SHARED_MEMBER = f"{ADMIN} or (role:member and {IMAGE_MEMBER})"
READER_OR_SHARED_MEMBER = f"{ADMIN} or role:reader and (project_id:%(project_id)s or {IMAGE_MEMBER})"
SERVICE = "rule:service_api"
GET_NAMESPACE = f"{ADMIN} or (role:reader and (project_id:%(project_id)s or 'public':%(visibility)s))"
MD_ADMIN = "rule:metadef_admin"
MDNS = "/v2/metadefs/namespaces/{namespace_name}"

IMG = "/v2/images/{image_id}"

RULES = [
    RuleDefault("default", "", "Defines the default rule used for policies that historically had an empty "
                "policy in the supplied policy.json file."),
    RuleDefault("context_is_admin", "role:admin", "Defines the rule for the is_admin:True check."),
    RuleDefault("service_api", "role:service or role:admin", "Default rule for the service-to-service API."),
    rule("add_image", CREATE_IMAGE, "Create new image", [("POST", "/v2/images")], ["project"]),
    rule("delete_image", ADMIN_OR_MEMBER, "Deletes the image", [("DELETE", IMG)], ["project"]),
    rule("get_image", GET_IMAGE, "Get specified image", [("GET", IMG)], ["project"]),
    rule("get_images", ADMIN_OR_READER, "Get all available images", [("GET", "/v2/images")], ["project"]),
    rule("modify_image", ADMIN_OR_MEMBER, "Updates given image", [("PATCH", IMG)], ["project"]),
    rule("publicize_image", ADMIN, "Publicize given image", [("PATCH", IMG)], ["project"]),
    rule("communitize_image", ADMIN_OR_MEMBER, "Communitize given image", [("PATCH", IMG)], ["project"]),
    rule("download_image", DOWNLOAD_IMAGE, "Downloads given image", [("GET", IMG + "/file")], ["project"]),
    rule("upload_image", ADMIN_OR_MEMBER, "Uploads data to specified image",
         [("PUT", IMG + "/file"), ("PUT", IMG + "/stage")], ["project"]),
    rule("delete_image_location", ADMIN, "Deletes the location of given image", [("PATCH", IMG)], ["project"]),
    rule("get_image_location", ADMIN_OR_READER, "Reads the location of the image", [("GET", IMG)], ["project"]),
    rule("set_image_location", ADMIN_OR_MEMBER, "Sets location URI to given image", [("PATCH", IMG)],
         ["project"]),
    rule("add_image_location", f"{SERVICE} or ({PROJECT_MEMBER} and project_id:%(owner)s)",
         "Add location URI to given image", [("POST", IMG + "/locations")], ["project"]),
    rule("fetch_image_location", SERVICE, "Show all locations associated to an image",
         [("GET", IMG + "/locations")], ["project"]),
    rule("add_member", ADMIN_OR_MEMBER, "Create image member", [("POST", IMG + "/members")], ["project"]),
    rule("delete_member", ADMIN_OR_MEMBER, "Delete image member",
         [("DELETE", IMG + "/members/{member_id}")], ["project"]),
    rule("get_member", READER_OR_SHARED_MEMBER, "Show image member details",
         [("GET", IMG + "/members/{member_id}")], ["project"]),
    rule("get_members", READER_OR_SHARED_MEMBER, "List image members", [("GET", IMG + "/members")],
         ["project"]),
    rule("modify_member", SHARED_MEMBER, "Update image member", [("PUT", IMG + "/members/{member_id}")],
         ["project"]),
    rule("manage_image_cache", ADMIN, "Manage image cache", [("GET", "/v2/cache")], ["project"]),
    rule("cache_image", ADMIN, "Queue image for caching", [("PUT", "/v2/cache/{image_id}")], ["project"]),
    rule("cache_list", ADMIN, "List cache status", [("GET", "/v2/cache")], ["project"]),
    rule("cache_delete", ADMIN, "Delete image(s) from cache and/or queue",
         [("DELETE", "/v2/cache"), ("DELETE", "/v2/cache/{image_id}")], ["project"]),
    rule("deactivate", ADMIN_OR_MEMBER, "Deactivate image", [("POST", IMG + "/actions/deactivate")],
         ["project"]),
    rule("reactivate", ADMIN_OR_MEMBER, "Reactivate image", [("POST", IMG + "/actions/reactivate")],
         ["project"]),
    rule("copy_image", ADMIN, "Copy existing image to other stores", [("POST", IMG + "/import")], ["project"]),
    rule("get_task", "rule:default", "Get an image task.", [("GET", "/v2/tasks/{task_id}")], ["project"]),
    rule("get_tasks", "rule:default", "List tasks for all images.", [("GET", "/v2/tasks")], ["project"]),
    rule("add_task", "rule:default", "List tasks for all images.", [("POST", "/v2/tasks")], ["project"]),
    rule("modify_task", "rule:default", "This policy is not used.", [("DELETE", "/v2/tasks/{task_id}")],
         ["project"]),
    rule("tasks_api_access", ADMIN, "Allow access to the tasks API.", [("GET", "/v2/tasks")], ["project"]),
    rule("stores_info_detail", f"{ADMIN} or {SERVICE}", "Expose store specific information",
         [("GET", "/v2/info/stores/detail")], ["project"]),
    RuleDefault("metadef_default", "", "Default rule for the metadata definitions API."),
    RuleDefault("metadef_admin", ADMIN, "Rule for changing metadata definitions."),
    rule("get_metadef_namespace", GET_NAMESPACE, "Get a specific namespace.", [("GET", MDNS)], ["project"]),
    rule("get_metadef_namespaces", ADMIN_OR_READER, "List namespace.", [("GET", "/v2/metadefs/namespaces")],
         ["project"]),
    rule("modify_metadef_namespace", MD_ADMIN, "Modify an existing namespace.", [("PUT", MDNS)], ["project"]),
    rule("add_metadef_namespace", MD_ADMIN, "Create a namespace.", [("POST", "/v2/metadefs/namespaces")],
         ["project"]),
    rule("delete_metadef_namespace", MD_ADMIN, "Delete a namespace.", [("DELETE", MDNS)], ["project"]),
    rule("get_metadef_object", GET_NAMESPACE, "Get a specific object from a namespace.",
         [("GET", MDNS + "/objects/{object_name}")], ["project"]),
    rule("get_metadef_objects", GET_NAMESPACE, "Get objects from a namespace.", [("GET", MDNS + "/objects")],
         ["project"]),
    rule("modify_metadef_object", MD_ADMIN, "Update an object within a namespace.",
         [("PUT", MDNS + "/objects/{object_name}")], ["project"]),
    rule("add_metadef_object", MD_ADMIN, "Create an object within a namespace.", [("POST", MDNS + "/objects")],
         ["project"]),
    rule("delete_metadef_object", MD_ADMIN, "Delete an object within a namespace.",
         [("DELETE", MDNS + "/objects/{object_name}")], ["project"]),
    rule("list_metadef_resource_types", GET_NAMESPACE, "List meta definition resource types.",
         [("GET", "/v2/metadefs/resource_types")], ["project"]),
    rule("get_metadef_resource_type", GET_NAMESPACE, "Get meta definition resource types associations.",
         [("GET", MDNS + "/resource_types")], ["project"]),
    rule("add_metadef_resource_type_association", MD_ADMIN, "Create meta definition resource types association.",
         [("POST", MDNS + "/resource_types")], ["project"]),
    rule("remove_metadef_resource_type_association", MD_ADMIN,
         "Delete meta definition resource types association.", [("DELETE", MDNS + "/resource_types/{name}")],
         ["project"]),
    rule("get_metadef_property", GET_NAMESPACE, "Get a specific meta definition property.",
         [("GET", MDNS + "/properties/{property_name}")], ["project"]),
    rule("get_metadef_properties", GET_NAMESPACE, "List meta definition properties.",
         [("GET", MDNS + "/properties")], ["project"]),
    rule("modify_metadef_property", MD_ADMIN, "Update meta definition property.",
         [("PUT", MDNS + "/properties/{property_name}")], ["project"]),
    rule("add_metadef_property", MD_ADMIN, "Create meta definition property.", [("POST", MDNS + "/properties")],
         ["project"]),
    rule("remove_metadef_property", MD_ADMIN, "Delete meta definition property.",
         [("DELETE", MDNS + "/properties/{property_name}")], ["project"]),
    rule("get_metadef_tag", GET_NAMESPACE, "Get tag definition.", [("GET", MDNS + "/tags/{tag_name}")],
         ["project"]),
    rule("get_metadef_tags", GET_NAMESPACE, "List tag definitions.", [("GET", MDNS + "/tags")], ["project"]),
    rule("modify_metadef_tag", MD_ADMIN, "Update tag definition.", [("PUT", MDNS + "/tags/{tag_name}")],
         ["project"]),
    rule("add_metadef_tag", MD_ADMIN, "Add tag definition.", [("POST", MDNS + "/tags/{tag_name}")], ["project"]),
    rule("add_metadef_tags", MD_ADMIN, "Create tag definitions.", [("POST", MDNS + "/tags")], ["project"]),
    rule("delete_metadef_tag", MD_ADMIN, "Delete tag definition.", [("DELETE", MDNS + "/tags/{tag_name}")],
         ["project"]),
    rule("delete_metadef_tags", MD_ADMIN, "Delete tag definitions.", [("DELETE", MDNS + "/tags")], ["project"]),
]
