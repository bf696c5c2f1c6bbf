-- pocketstack schema at revision 0019
CREATE TABLE accelerator_device_profiles (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description TEXT, 
	groups JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_device_profiles PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_device_profiles_uuid UNIQUE (uuid), 
	CONSTRAINT uq_accelerator_device_profiles_name UNIQUE (name)
);
CREATE TABLE accelerator_devices (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	type VARCHAR(30) NOT NULL, 
	vendor VARCHAR(255) NOT NULL, 
	model VARCHAR(255) NOT NULL, 
	std_board_info TEXT, 
	vendor_board_info TEXT, 
	hostname VARCHAR(255) NOT NULL, 
	status VARCHAR(30) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_devices PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_devices_uuid UNIQUE (uuid)
);
CREATE TABLE baremetal_allocations (
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255), 
	node_uuid VARCHAR(36), 
	state VARCHAR(15) NOT NULL, 
	owner VARCHAR(255), 
	last_error TEXT, 
	resource_class VARCHAR(80), 
	traits JSON NOT NULL, 
	candidate_nodes JSON NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_allocations PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_allocations_name UNIQUE (name)
);
CREATE TABLE baremetal_chassis (
	uuid VARCHAR(36) NOT NULL, 
	description VARCHAR(255), 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_chassis PRIMARY KEY (uuid)
);
CREATE TABLE baremetal_deploy_templates (
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	steps JSON NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_deploy_templates PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_deploy_templates_name UNIQUE (name)
);
CREATE TABLE baremetal_inspection_rules (
	uuid VARCHAR(36) NOT NULL, 
	description VARCHAR(255), 
	priority INTEGER NOT NULL, 
	phase VARCHAR(16) NOT NULL, 
	sensitive BOOLEAN NOT NULL, 
	conditions JSON NOT NULL, 
	actions JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_inspection_rules PRIMARY KEY (uuid)
);
CREATE TABLE baremetal_runbooks (
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255), 
	steps JSON NOT NULL, 
	traits JSON NOT NULL, 
	disable_ramdisk BOOLEAN NOT NULL, 
	public BOOLEAN NOT NULL, 
	owner VARCHAR(255), 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_runbooks PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_runbooks_name UNIQUE (name)
);
CREATE TABLE compute_aggregates (
	id INTEGER NOT NULL, 
	uuid VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	availability_zone VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_aggregates PRIMARY KEY (id), 
	CONSTRAINT uq_compute_aggregates_uuid UNIQUE (uuid), 
	CONSTRAINT uq_compute_aggregates_name UNIQUE (name)
);
CREATE TABLE compute_flavors (
	id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	ram INTEGER NOT NULL, 
	vcpus INTEGER NOT NULL, 
	disk INTEGER NOT NULL, 
	ephemeral INTEGER NOT NULL, 
	swap INTEGER NOT NULL, 
	rxtx_factor FLOAT NOT NULL, 
	is_public BOOLEAN NOT NULL, 
	disabled BOOLEAN NOT NULL, 
	description TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	internal_id INTEGER, 
	CONSTRAINT pk_compute_flavors PRIMARY KEY (id), 
	CONSTRAINT uq_compute_flavors_name UNIQUE (name)
);
CREATE TABLE compute_instance_actions (
	id VARCHAR(64) NOT NULL, 
	server_id VARCHAR(64) NOT NULL, 
	request_id VARCHAR(64) NOT NULL, 
	action VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64), 
	user_id VARCHAR(64), 
	message TEXT, 
	start_time DATETIME NOT NULL, 
	finish_time DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_instance_actions PRIMARY KEY (id)
);
CREATE INDEX ix_compute_instance_actions_server_id ON compute_instance_actions (server_id);
CREATE TABLE compute_keypairs (
	id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	type VARCHAR(16) NOT NULL, 
	public_key TEXT NOT NULL, 
	fingerprint VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_keypairs PRIMARY KEY (id), 
	CONSTRAINT uq_compute_keypairs_user_id_name UNIQUE (user_id, name)
);
CREATE TABLE compute_migrations (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	instance_uuid VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64), 
	user_id VARCHAR(64), 
	migration_type VARCHAR(32) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	source_compute VARCHAR(255), 
	dest_compute VARCHAR(255), 
	source_node VARCHAR(255), 
	dest_node VARCHAR(255), 
	dest_host VARCHAR(255), 
	old_flavor_id VARCHAR(255), 
	new_flavor_id VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	old_instance_type_id INTEGER, 
	new_instance_type_id INTEGER, 
	CONSTRAINT pk_compute_migrations PRIMARY KEY (id), 
	CONSTRAINT uq_compute_migrations_uuid UNIQUE (uuid)
);
CREATE INDEX ix_compute_migrations_instance_uuid ON compute_migrations (instance_uuid);
CREATE TABLE compute_quotas (
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	resource VARCHAR(64) NOT NULL, 
	hard_limit INTEGER NOT NULL, 
	CONSTRAINT pk_compute_quotas PRIMARY KEY (project_id, user_id, resource)
);
CREATE TABLE compute_server_groups (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	policy VARCHAR(32) NOT NULL, 
	rules JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_server_groups PRIMARY KEY (id)
);
CREATE INDEX ix_compute_server_groups_project_id ON compute_server_groups (project_id);
CREATE TABLE compute_servers (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	image_id VARCHAR(64) NOT NULL, 
	flavor_id VARCHAR(255) NOT NULL, 
	flavor JSON NOT NULL, 
	old_flavor JSON, 
	key_name VARCHAR(255), 
	key_data TEXT, 
	user_data TEXT, 
	description TEXT, 
	hostname VARCHAR(255) NOT NULL, 
	availability_zone VARCHAR(255), 
	requested_az VARCHAR(255), 
	vm_state VARCHAR(32) NOT NULL, 
	task_state VARCHAR(32), 
	power_state INTEGER NOT NULL, 
	progress INTEGER NOT NULL, 
	locked BOOLEAN NOT NULL, 
	locked_by VARCHAR(16), 
	locked_reason TEXT, 
	fault JSON, 
	host VARCHAR(255), 
	instance_name VARCHAR(255) NOT NULL, 
	reservation_id VARCHAR(64) NOT NULL, 
	launch_index INTEGER NOT NULL, 
	config_drive VARCHAR(8) NOT NULL, 
	disk_config VARCHAR(8) NOT NULL, 
	shelved_image_id VARCHAR(64), 
	access_ipv4 VARCHAR(64) NOT NULL, 
	access_ipv6 VARCHAR(64) NOT NULL, 
	security_groups JSON NOT NULL, 
	networks JSON NOT NULL, 
	block_devices JSON, 
	trusted_certs JSON, 
	launched_at DATETIME, 
	terminated_at DATETIME, 
	deleted BOOLEAN NOT NULL, 
	deleted_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	image_properties JSON, 
	scheduler_hints JSON, 
	injected_files JSON, 
	CONSTRAINT pk_compute_servers PRIMARY KEY (id)
);
CREATE INDEX ix_compute_servers_project_deleted ON compute_servers (project_id, deleted);
CREATE INDEX ix_compute_servers_project_id ON compute_servers (project_id);
CREATE TABLE faults (
	id VARCHAR(64) NOT NULL, 
	service VARCHAR(64), 
	method VARCHAR(16), 
	path VARCHAR(1024), 
	path_regex VARCHAR(1024), 
	project VARCHAR(255), 
	job VARCHAR(128), 
	status INTEGER, 
	message TEXT, 
	delay FLOAT, 
	retry BOOLEAN NOT NULL, 
	probability FLOAT NOT NULL, 
	remaining INTEGER, 
	hits INTEGER NOT NULL, 
	expires_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_faults PRIMARY KEY (id)
);
CREATE TABLE heat_events (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	stack_id VARCHAR(64) NOT NULL, 
	resource_name VARCHAR(255) NOT NULL, 
	physical_resource_id VARCHAR(255), 
	resource_type VARCHAR(255), 
	resource_action VARCHAR(32), 
	resource_status VARCHAR(32), 
	resource_status_reason TEXT, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_heat_events PRIMARY KEY (id), 
	CONSTRAINT uq_heat_events_uuid UNIQUE (uuid)
);
CREATE INDEX ix_heat_events_stack ON heat_events (stack_id, id);
CREATE TABLE heat_snapshots (
	id VARCHAR(64) NOT NULL, 
	stack_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	status_reason TEXT, 
	data JSON, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_heat_snapshots PRIMARY KEY (id)
);
CREATE INDEX ix_heat_snapshots_stack ON heat_snapshots (stack_id);
CREATE TABLE heat_software_configs (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255), 
	"group" VARCHAR(255), 
	config JSON NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_heat_software_configs PRIMARY KEY (id)
);
CREATE INDEX ix_heat_software_configs_project ON heat_software_configs (project_id);
CREATE TABLE heat_software_deployments (
	id VARCHAR(64) NOT NULL, 
	config_id VARCHAR(64) NOT NULL, 
	server_id VARCHAR(64) NOT NULL, 
	input_values JSON, 
	output_values JSON, 
	action VARCHAR(32), 
	status VARCHAR(32), 
	status_reason TEXT, 
	project_id VARCHAR(64) NOT NULL, 
	stack_user_project_id VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_heat_software_deployments PRIMARY KEY (id)
);
CREATE INDEX ix_heat_software_deployments_server ON heat_software_deployments (server_id);
CREATE TABLE heat_stacks (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	username VARCHAR(255), 
	owner_id VARCHAR(64), 
	parent_resource VARCHAR(255), 
	root_id VARCHAR(64), 
	nested_depth INTEGER NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	status_reason TEXT, 
	template JSON NOT NULL, 
	environment JSON NOT NULL, 
	files JSON NOT NULL, 
	prev_template JSON, 
	prev_environment JSON, 
	prev_files JSON, 
	traversal INTEGER NOT NULL, 
	disable_rollback BOOLEAN NOT NULL, 
	timeout_mins INTEGER, 
	op_started_at DATETIME, 
	trust_id VARCHAR(64), 
	op JSON, 
	deleted_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_heat_stacks PRIMARY KEY (id)
);
CREATE INDEX ix_heat_stacks_owner ON heat_stacks (owner_id);
CREATE INDEX ix_heat_stacks_project_name ON heat_stacks (project_id, name);
CREATE TABLE host_services (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	owner VARCHAR(255) NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	binary VARCHAR(64) NOT NULL, 
	zone VARCHAR(255) NOT NULL, 
	disabled BOOLEAN NOT NULL, 
	disabled_reason VARCHAR(255), 
	forced_down BOOLEAN NOT NULL, 
	report_count INTEGER NOT NULL, 
	last_seen_up DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_host_services PRIMARY KEY (id), 
	CONSTRAINT uq_host_services_host_binary UNIQUE (host, binary), 
	CONSTRAINT uq_host_services_uuid UNIQUE (uuid)
);
CREATE INDEX ix_host_services_owner ON host_services (owner);
CREATE TABLE identity_access_rules (
	id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	service VARCHAR(64) NOT NULL, 
	path VARCHAR(128) NOT NULL, 
	method VARCHAR(16) NOT NULL, 
	CONSTRAINT pk_identity_access_rules PRIMARY KEY (id)
);
CREATE INDEX ix_identity_access_rules_user_id ON identity_access_rules (user_id);
CREATE TABLE identity_app_cred_access_rules (
	application_credential_id VARCHAR(64) NOT NULL, 
	access_rule_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_app_cred_access_rules PRIMARY KEY (application_credential_id, access_rule_id)
);
CREATE TABLE identity_app_cred_roles (
	application_credential_id VARCHAR(64) NOT NULL, 
	role_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_app_cred_roles PRIMARY KEY (application_credential_id, role_id)
);
CREATE TABLE identity_app_creds (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	secret_hash VARCHAR(255) NOT NULL, 
	description TEXT, 
	user_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64), 
	system VARCHAR(64), 
	expires_at DATETIME, 
	unrestricted BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_app_creds PRIMARY KEY (id), 
	CONSTRAINT uq_identity_app_creds_user_id_name UNIQUE (user_id, name)
);
CREATE INDEX ix_identity_app_creds_user_id ON identity_app_creds (user_id);
CREATE TABLE identity_assignments (
	type VARCHAR(16) NOT NULL, 
	actor_id VARCHAR(64) NOT NULL, 
	target_id VARCHAR(64) NOT NULL, 
	role_id VARCHAR(64) NOT NULL, 
	inherited BOOLEAN NOT NULL, 
	CONSTRAINT pk_identity_assignments PRIMARY KEY (type, actor_id, target_id, role_id, inherited)
);
CREATE INDEX ix_identity_assignments_actor ON identity_assignments (actor_id);
CREATE INDEX ix_identity_assignments_role ON identity_assignments (role_id);
CREATE INDEX ix_identity_assignments_target ON identity_assignments (target_id);
CREATE TABLE identity_credentials (
	id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64), 
	type VARCHAR(255) NOT NULL, 
	encrypted_blob TEXT NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_credentials PRIMARY KEY (id)
);
CREATE INDEX ix_identity_credentials_user_id ON identity_credentials (user_id);
CREATE TABLE identity_documents (
	kind VARCHAR(32) NOT NULL, 
	id VARCHAR(255) NOT NULL, 
	owner_id VARCHAR(64), 
	body JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_documents PRIMARY KEY (kind, id)
);
CREATE INDEX ix_identity_documents_owner_id ON identity_documents (owner_id);
CREATE TABLE identity_endpoint_groups (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description TEXT, 
	filters JSON NOT NULL, 
	CONSTRAINT pk_identity_endpoint_groups PRIMARY KEY (id)
);
CREATE TABLE identity_endpoints (
	id VARCHAR(64) NOT NULL, 
	interface VARCHAR(8) NOT NULL, 
	service_id VARCHAR(64) NOT NULL, 
	url TEXT NOT NULL, 
	region_id VARCHAR(255), 
	enabled BOOLEAN NOT NULL, 
	extra JSON NOT NULL, 
	CONSTRAINT pk_identity_endpoints PRIMARY KEY (id)
);
CREATE INDEX ix_identity_endpoints_service_id ON identity_endpoints (service_id);
CREATE TABLE identity_groups (
	id VARCHAR(64) NOT NULL, 
	domain_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description TEXT, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_groups PRIMARY KEY (id), 
	CONSTRAINT uq_identity_groups_domain_id_name UNIQUE (domain_id, name)
);
CREATE TABLE identity_idp_remote_ids (
	remote_id VARCHAR(255) NOT NULL, 
	idp_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_idp_remote_ids PRIMARY KEY (remote_id)
);
CREATE INDEX ix_identity_idp_remote_ids_idp_id ON identity_idp_remote_ids (idp_id);
CREATE TABLE identity_implied_roles (
	prior_role_id VARCHAR(64) NOT NULL, 
	implied_role_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_implied_roles PRIMARY KEY (prior_role_id, implied_role_id)
);
CREATE TABLE identity_limits (
	id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64), 
	domain_id VARCHAR(64), 
	service_id VARCHAR(64) NOT NULL, 
	region_id VARCHAR(255), 
	resource_name VARCHAR(255) NOT NULL, 
	resource_limit INTEGER NOT NULL, 
	description TEXT, 
	CONSTRAINT pk_identity_limits PRIMARY KEY (id)
);
CREATE TABLE identity_memberships (
	user_id VARCHAR(64) NOT NULL, 
	group_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_memberships PRIMARY KEY (user_id, group_id)
);
CREATE INDEX ix_identity_memberships_group_id ON identity_memberships (group_id);
CREATE TABLE identity_oauth_access_tokens (
	id VARCHAR(64) NOT NULL, 
	access_secret VARCHAR(64) NOT NULL, 
	authorizing_user_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	role_ids JSON NOT NULL, 
	consumer_id VARCHAR(64) NOT NULL, 
	expires_at DATETIME, 
	CONSTRAINT pk_identity_oauth_access_tokens PRIMARY KEY (id)
);
CREATE INDEX ix_identity_oauth_access_tokens_authorizing_user_id ON identity_oauth_access_tokens (authorizing_user_id);
CREATE INDEX ix_identity_oauth_access_tokens_consumer_id ON identity_oauth_access_tokens (consumer_id);
CREATE TABLE identity_oauth_request_tokens (
	id VARCHAR(64) NOT NULL, 
	request_secret VARCHAR(64) NOT NULL, 
	verifier VARCHAR(64), 
	authorizing_user_id VARCHAR(64), 
	requested_project_id VARCHAR(64) NOT NULL, 
	role_ids JSON, 
	consumer_id VARCHAR(64) NOT NULL, 
	expires_at DATETIME, 
	CONSTRAINT pk_identity_oauth_request_tokens PRIMARY KEY (id)
);
CREATE INDEX ix_identity_oauth_request_tokens_consumer_id ON identity_oauth_request_tokens (consumer_id);
CREATE TABLE identity_passwords (
	id INTEGER NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	password_hash VARCHAR(255) NOT NULL, 
	self_service BOOLEAN NOT NULL, 
	expires_at DATETIME, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_identity_passwords PRIMARY KEY (id)
);
CREATE INDEX ix_identity_passwords_user_id ON identity_passwords (user_id);
CREATE TABLE identity_policy_associations (
	id VARCHAR(64) NOT NULL, 
	policy_id VARCHAR(64) NOT NULL, 
	endpoint_id VARCHAR(64), 
	service_id VARCHAR(64), 
	region_id VARCHAR(255), 
	CONSTRAINT pk_identity_policy_associations PRIMARY KEY (id), 
	CONSTRAINT uq_identity_policy_associations_endpoint_id_service_id_region_id UNIQUE (endpoint_id, service_id, region_id)
);
CREATE INDEX ix_identity_policy_associations_policy_id ON identity_policy_associations (policy_id);
CREATE TABLE identity_project_endpoint_groups (
	endpoint_group_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_project_endpoint_groups PRIMARY KEY (endpoint_group_id, project_id)
);
CREATE INDEX ix_identity_project_endpoint_groups_project_id ON identity_project_endpoint_groups (project_id);
CREATE TABLE identity_project_endpoints (
	project_id VARCHAR(64) NOT NULL, 
	endpoint_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_project_endpoints PRIMARY KEY (project_id, endpoint_id)
);
CREATE INDEX ix_identity_project_endpoints_endpoint_id ON identity_project_endpoints (endpoint_id);
CREATE TABLE identity_project_tags (
	project_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_identity_project_tags PRIMARY KEY (project_id, name)
);
CREATE TABLE identity_projects (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	domain_id VARCHAR(64) NOT NULL, 
	parent_id VARCHAR(64), 
	is_domain BOOLEAN NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	description TEXT, 
	extra JSON NOT NULL, 
	options JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_projects PRIMARY KEY (id), 
	CONSTRAINT uq_identity_projects_domain_id_name UNIQUE (domain_id, name)
);
CREATE INDEX ix_identity_projects_parent_id ON identity_projects (parent_id);
CREATE TABLE identity_regions (
	id VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	parent_region_id VARCHAR(255), 
	extra JSON NOT NULL, 
	CONSTRAINT pk_identity_regions PRIMARY KEY (id)
);
CREATE TABLE identity_registered_limits (
	id VARCHAR(64) NOT NULL, 
	service_id VARCHAR(64) NOT NULL, 
	region_id VARCHAR(255), 
	resource_name VARCHAR(255) NOT NULL, 
	default_limit INTEGER NOT NULL, 
	description TEXT, 
	CONSTRAINT pk_identity_registered_limits PRIMARY KEY (id)
);
CREATE TABLE identity_revocations (
	id INTEGER NOT NULL, 
	user_id VARCHAR(64), 
	project_id VARCHAR(64), 
	domain_id VARCHAR(64), 
	role_id VARCHAR(64), 
	trust_id VARCHAR(64), 
	audit_id VARCHAR(32), 
	audit_chain_id VARCHAR(32), 
	application_credential_id VARCHAR(64), 
	issued_before DATETIME NOT NULL, 
	revoked_at DATETIME NOT NULL, 
	expires_at DATETIME, 
	CONSTRAINT pk_identity_revocations PRIMARY KEY (id)
);
CREATE INDEX ix_identity_revocations_audit_id ON identity_revocations (audit_id);
CREATE INDEX ix_identity_revocations_project_id ON identity_revocations (project_id);
CREATE INDEX ix_identity_revocations_user_id ON identity_revocations (user_id);
CREATE TABLE identity_roles (
	id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	domain_id VARCHAR(64) NOT NULL, 
	description TEXT, 
	options JSON NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_roles PRIMARY KEY (id), 
	CONSTRAINT uq_identity_roles_name_domain_id UNIQUE (name, domain_id)
);
CREATE TABLE identity_services (
	id VARCHAR(64) NOT NULL, 
	type VARCHAR(255) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	extra JSON NOT NULL, 
	CONSTRAINT pk_identity_services PRIMARY KEY (id)
);
CREATE TABLE identity_token_keys (
	id INTEGER NOT NULL, 
	purpose VARCHAR(16) NOT NULL, 
	"key" VARCHAR(64) NOT NULL, 
	"primary" BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_identity_token_keys PRIMARY KEY (id)
);
CREATE TABLE identity_trust_roles (
	trust_id VARCHAR(64) NOT NULL, 
	role_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_identity_trust_roles PRIMARY KEY (trust_id, role_id)
);
CREATE TABLE identity_trusts (
	id VARCHAR(64) NOT NULL, 
	trustor_user_id VARCHAR(64) NOT NULL, 
	trustee_user_id VARCHAR(64) NOT NULL, 
	project_id VARCHAR(64), 
	impersonation BOOLEAN NOT NULL, 
	expires_at DATETIME, 
	remaining_uses INTEGER, 
	redelegated_trust_id VARCHAR(64), 
	redelegation_count INTEGER, 
	deleted_at DATETIME, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_trusts PRIMARY KEY (id)
);
CREATE INDEX ix_identity_trusts_trustee_user_id ON identity_trusts (trustee_user_id);
CREATE INDEX ix_identity_trusts_trustor_user_id ON identity_trusts (trustor_user_id);
CREATE TABLE identity_users (
	id VARCHAR(64) NOT NULL, 
	domain_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	default_project_id VARCHAR(64), 
	extra JSON NOT NULL, 
	options JSON NOT NULL, 
	failed_auth_count INTEGER NOT NULL, 
	failed_auth_at DATETIME, 
	last_active_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_identity_users PRIMARY KEY (id), 
	CONSTRAINT uq_identity_users_domain_id_name UNIQUE (domain_id, name)
);
CREATE TABLE image_cache (
	image_id VARCHAR(36) NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	size BIGINT NOT NULL, 
	hits INTEGER NOT NULL, 
	last_accessed FLOAT NOT NULL, 
	last_modified FLOAT NOT NULL, 
	CONSTRAINT pk_image_cache PRIMARY KEY (image_id)
);
CREATE TABLE image_images (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255), 
	status VARCHAR(30) NOT NULL, 
	visibility VARCHAR(20) NOT NULL, 
	owner VARCHAR(255), 
	disk_format VARCHAR(20), 
	container_format VARCHAR(20), 
	size BIGINT, 
	virtual_size BIGINT, 
	checksum VARCHAR(32), 
	os_hash_algo VARCHAR(64), 
	os_hash_value VARCHAR(128), 
	min_disk INTEGER NOT NULL, 
	min_ram INTEGER NOT NULL, 
	protected BOOLEAN NOT NULL, 
	os_hidden BOOLEAN NOT NULL, 
	stores VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_images PRIMARY KEY (id)
);
CREATE INDEX ix_image_images_created_at ON image_images (created_at);
CREATE INDEX ix_image_images_owner ON image_images (owner);
CREATE INDEX ix_image_images_visibility_status ON image_images (visibility, status);
CREATE TABLE image_metadef_namespaces (
	id VARCHAR(36) NOT NULL, 
	namespace VARCHAR(80) NOT NULL, 
	display_name VARCHAR(80), 
	description TEXT, 
	visibility VARCHAR(32) NOT NULL, 
	protected BOOLEAN NOT NULL, 
	owner VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_namespaces PRIMARY KEY (id), 
	CONSTRAINT uq_image_metadef_namespaces_namespace UNIQUE (namespace)
);
CREATE TABLE image_metadef_resource_types (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	protected BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_resource_types PRIMARY KEY (id), 
	CONSTRAINT uq_image_metadef_resource_types_name UNIQUE (name)
);
CREATE TABLE image_tasks (
	id VARCHAR(36) NOT NULL, 
	type VARCHAR(30) NOT NULL, 
	status VARCHAR(30) NOT NULL, 
	owner VARCHAR(255), 
	image_id VARCHAR(36), 
	request_id VARCHAR(64), 
	user_id VARCHAR(64), 
	input JSON, 
	result JSON, 
	message TEXT NOT NULL, 
	expires_at DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_tasks PRIMARY KEY (id)
);
CREATE TABLE jobs (
	id VARCHAR(64) NOT NULL, 
	kind VARCHAR(64) NOT NULL, 
	payload JSON NOT NULL, 
	state VARCHAR(16) NOT NULL, 
	run_at DATETIME NOT NULL, 
	attempts INTEGER NOT NULL, 
	max_attempts INTEGER NOT NULL, 
	locked_by VARCHAR(128), 
	locked_until DATETIME, 
	last_error TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	host VARCHAR(255), 
	CONSTRAINT pk_jobs PRIMARY KEY (id)
);
CREATE INDEX ix_jobs_state_run_at ON jobs (state, run_at);
CREATE TABLE key_manager_acls (
	entity_type VARCHAR(10) NOT NULL, 
	entity_id VARCHAR(36) NOT NULL, 
	operation VARCHAR(20) NOT NULL, 
	project_access BOOLEAN NOT NULL, 
	users JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_acls PRIMARY KEY (entity_type, entity_id, operation)
);
CREATE TABLE key_manager_consumers (
	id VARCHAR(36) NOT NULL, 
	entity_type VARCHAR(10) NOT NULL, 
	entity_id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255), 
	url VARCHAR(255), 
	service VARCHAR(255), 
	resource_type VARCHAR(255), 
	resource_id VARCHAR(36), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_consumers PRIMARY KEY (id)
);
CREATE INDEX ix_key_manager_consumers_entity ON key_manager_consumers (entity_type, entity_id);
CREATE TABLE key_manager_containers (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	creator_id VARCHAR(255), 
	name VARCHAR(255), 
	type VARCHAR(20) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_containers PRIMARY KEY (id)
);
CREATE INDEX ix_key_manager_containers_project ON key_manager_containers (project_id, created_at);
CREATE TABLE key_manager_keks (
	project_id VARCHAR(64) NOT NULL, 
	wrapped BLOB NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_keks PRIMARY KEY (project_id)
);
CREATE TABLE key_manager_orders (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	creator_id VARCHAR(255), 
	type VARCHAR(20) NOT NULL, 
	meta JSON NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	secret_id VARCHAR(36), 
	container_id VARCHAR(36), 
	error_status_code VARCHAR(16), 
	error_reason VARCHAR(255), 
	sub_status VARCHAR(36), 
	sub_status_message VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_orders PRIMARY KEY (id)
);
CREATE INDEX ix_key_manager_orders_project ON key_manager_orders (project_id, created_at);
CREATE TABLE key_manager_project_quotas (
	project_id VARCHAR(64) NOT NULL, 
	secrets INTEGER, 
	orders INTEGER, 
	containers INTEGER, 
	consumers INTEGER, 
	cas INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_project_quotas PRIMARY KEY (project_id)
);
CREATE TABLE key_manager_secrets (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	creator_id VARCHAR(255), 
	name VARCHAR(255), 
	secret_type VARCHAR(255) NOT NULL, 
	expiration DATETIME, 
	algorithm VARCHAR(255), 
	bit_length INTEGER, 
	mode VARCHAR(255), 
	status VARCHAR(20) NOT NULL, 
	content_type VARCHAR(255), 
	encrypted BLOB, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_secrets PRIMARY KEY (id)
);
CREATE INDEX ix_key_manager_secrets_project ON key_manager_secrets (project_id, created_at);
CREATE TABLE key_manager_transport_keys (
	id VARCHAR(36) NOT NULL, 
	plugin_name VARCHAR(255) NOT NULL, 
	transport_key TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_key_manager_transport_keys PRIMARY KEY (id)
);
CREATE TABLE neutron_address_scopes (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	ip_version INTEGER NOT NULL, 
	shared BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_address_scopes PRIMARY KEY (id)
);
CREATE TABLE neutron_agents (
	id VARCHAR(36) NOT NULL, 
	agent_type VARCHAR(255) NOT NULL, 
	binary VARCHAR(255) NOT NULL, 
	topic VARCHAR(255) NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	availability_zone VARCHAR(255), 
	admin_state_up BOOLEAN NOT NULL, 
	description VARCHAR(255), 
	configurations JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	started_at DATETIME NOT NULL, 
	CONSTRAINT pk_neutron_agents PRIMARY KEY (id)
);
CREATE TABLE neutron_auto_allocated_topologies (
	project_id VARCHAR(255) NOT NULL, 
	network_id VARCHAR(36) NOT NULL, 
	router_id VARCHAR(36), 
	CONSTRAINT pk_neutron_auto_allocated_topologies PRIMARY KEY (project_id)
);
CREATE TABLE neutron_flavors (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(1024) NOT NULL, 
	service_type VARCHAR(36) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_flavors PRIMARY KEY (id)
);
CREATE TABLE neutron_metering_labels (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(1024) NOT NULL, 
	shared BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_metering_labels PRIMARY KEY (id)
);
CREATE TABLE neutron_networks (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	admin_state_up BOOLEAN NOT NULL, 
	shared BOOLEAN NOT NULL, 
	external BOOLEAN NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	mtu INTEGER NOT NULL, 
	port_security_enabled BOOLEAN NOT NULL, 
	network_type VARCHAR(32), 
	physical_network VARCHAR(64), 
	segmentation_id INTEGER, 
	availability_zone_hints JSON NOT NULL, 
	dns_domain VARCHAR(255), 
	CONSTRAINT pk_neutron_networks PRIMARY KEY (id)
);
CREATE INDEX ix_neutron_networks_project_id ON neutron_networks (project_id);
CREATE TABLE neutron_qos_policies (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	shared BOOLEAN NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_qos_policies PRIMARY KEY (id)
);
CREATE INDEX ix_neutron_qos_policies_project_id ON neutron_qos_policies (project_id);
CREATE TABLE neutron_quotas (
	project_id VARCHAR(255) NOT NULL, 
	resource VARCHAR(64) NOT NULL, 
	"limit" INTEGER NOT NULL, 
	CONSTRAINT pk_neutron_quotas PRIMARY KEY (project_id, resource)
);
CREATE TABLE neutron_rbac_policies (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	object_type VARCHAR(32) NOT NULL, 
	object_id VARCHAR(36) NOT NULL, 
	action VARCHAR(32) NOT NULL, 
	target_tenant VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_neutron_rbac_policies PRIMARY KEY (id), 
	CONSTRAINT uq_neutron_rbac_policies_object_type_object_id_action_target_tenant UNIQUE (object_type, object_id, action, target_tenant)
);
CREATE INDEX ix_neutron_rbac_policies_object_id ON neutron_rbac_policies (object_id);
CREATE TABLE neutron_routers (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	status VARCHAR(16) NOT NULL, 
	admin_state_up BOOLEAN NOT NULL, 
	gw_network_id VARCHAR(36), 
	gw_port_id VARCHAR(36), 
	enable_snat BOOLEAN NOT NULL, 
	routes JSON NOT NULL, 
	distributed BOOLEAN NOT NULL, 
	ha BOOLEAN NOT NULL, 
	availability_zone_hints JSON NOT NULL, 
	CONSTRAINT pk_neutron_routers PRIMARY KEY (id)
);
CREATE INDEX ix_neutron_routers_project_id ON neutron_routers (project_id);
CREATE TABLE neutron_security_groups (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	stateful BOOLEAN NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_security_groups PRIMARY KEY (id)
);
CREATE INDEX ix_neutron_security_groups_project_id ON neutron_security_groups (project_id);
CREATE TABLE neutron_service_profiles (
	id VARCHAR(36) NOT NULL, 
	description VARCHAR(1024) NOT NULL, 
	driver VARCHAR(1024) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	metainfo VARCHAR(4096) NOT NULL, 
	CONSTRAINT pk_neutron_service_profiles PRIMARY KEY (id)
);
CREATE TABLE neutron_subnetpools (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	ip_version INTEGER NOT NULL, 
	prefixes JSON NOT NULL, 
	default_prefixlen INTEGER NOT NULL, 
	min_prefixlen INTEGER NOT NULL, 
	max_prefixlen INTEGER NOT NULL, 
	shared BOOLEAN NOT NULL, 
	is_default BOOLEAN NOT NULL, 
	default_quota INTEGER, 
	address_scope_id VARCHAR(36), 
	CONSTRAINT pk_neutron_subnetpools PRIMARY KEY (id)
);
CREATE TABLE neutron_tags (
	resource_id VARCHAR(36) NOT NULL, 
	tag VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_neutron_tags PRIMARY KEY (resource_id, tag)
);
CREATE INDEX ix_neutron_tags_tag ON neutron_tags (tag);
CREATE TABLE placement_allocations (
	id INTEGER NOT NULL, 
	resource_provider_id INTEGER NOT NULL, 
	consumer_id VARCHAR(36) NOT NULL, 
	resource_class_id INTEGER NOT NULL, 
	used INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_allocations PRIMARY KEY (id)
);
CREATE INDEX ix_placement_allocations_consumer ON placement_allocations (consumer_id);
CREATE INDEX ix_placement_allocations_rp_rc ON placement_allocations (resource_provider_id, resource_class_id, used);
CREATE TABLE placement_consumer_types (
	id INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_consumer_types PRIMARY KEY (id), 
	CONSTRAINT uq_placement_consumer_types_name UNIQUE (name)
);
CREATE TABLE placement_consumers (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	user_id VARCHAR(255) NOT NULL, 
	generation INTEGER NOT NULL, 
	consumer_type_id INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_consumers PRIMARY KEY (id), 
	CONSTRAINT uq_placement_consumers_uuid UNIQUE (uuid)
);
CREATE INDEX ix_placement_consumers_project_user ON placement_consumers (project_id, user_id);
CREATE TABLE placement_inventories (
	id INTEGER NOT NULL, 
	resource_provider_id INTEGER NOT NULL, 
	resource_class_id INTEGER NOT NULL, 
	total INTEGER NOT NULL, 
	reserved INTEGER NOT NULL, 
	min_unit INTEGER NOT NULL, 
	max_unit INTEGER NOT NULL, 
	step_size INTEGER NOT NULL, 
	allocation_ratio FLOAT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_inventories PRIMARY KEY (id), 
	CONSTRAINT uq_placement_inventories_rp_rc UNIQUE (resource_provider_id, resource_class_id)
);
CREATE INDEX ix_placement_inventories_rc ON placement_inventories (resource_class_id, resource_provider_id);
CREATE TABLE placement_provider_aggregates (
	resource_provider_id INTEGER NOT NULL, 
	aggregate_uuid VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_placement_provider_aggregates PRIMARY KEY (resource_provider_id, aggregate_uuid)
);
CREATE INDEX ix_placement_provider_aggregates_agg ON placement_provider_aggregates (aggregate_uuid);
CREATE TABLE placement_provider_traits (
	resource_provider_id INTEGER NOT NULL, 
	trait_id INTEGER NOT NULL, 
	CONSTRAINT pk_placement_provider_traits PRIMARY KEY (resource_provider_id, trait_id)
);
CREATE INDEX ix_placement_provider_traits_trait ON placement_provider_traits (trait_id);
CREATE TABLE placement_resource_classes (
	id INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_resource_classes PRIMARY KEY (id), 
	CONSTRAINT uq_placement_resource_classes_name UNIQUE (name)
);
CREATE TABLE placement_resource_providers (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	generation INTEGER NOT NULL, 
	root_provider_id INTEGER, 
	parent_provider_id INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_resource_providers PRIMARY KEY (id), 
	CONSTRAINT uq_placement_resource_providers_uuid UNIQUE (uuid), 
	CONSTRAINT uq_placement_resource_providers_name UNIQUE (name)
);
CREATE INDEX ix_placement_rp_parent ON placement_resource_providers (parent_provider_id);
CREATE INDEX ix_placement_rp_root ON placement_resource_providers (root_provider_id);
CREATE TABLE placement_traits (
	id INTEGER NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_placement_traits PRIMARY KEY (id), 
	CONSTRAINT uq_placement_traits_name UNIQUE (name)
);
CREATE TABLE pocketstack_generation (
	id INTEGER NOT NULL, 
	value INTEGER NOT NULL, 
	jobs_paused_until DATETIME, 
	CONSTRAINT pk_pocketstack_generation PRIMARY KEY (id)
);
CREATE TABLE pocketstack_state (
	"key" VARCHAR(128) NOT NULL, 
	value JSON, 
	CONSTRAINT pk_pocketstack_state PRIMARY KEY ("key")
);
CREATE TABLE service_credentials (
	service_type VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64) NOT NULL, 
	user_name VARCHAR(255) NOT NULL, 
	password VARCHAR(255) NOT NULL, 
	project_name VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_service_credentials PRIMARY KEY (service_type)
);
CREATE TABLE swift_accounts (
	account VARCHAR(256) NOT NULL, 
	created FLOAT NOT NULL, 
	put_timestamp FLOAT NOT NULL, 
	meta JSON NOT NULL, 
	container_count BIGINT NOT NULL, 
	object_count BIGINT NOT NULL, 
	bytes_used BIGINT NOT NULL, 
	CONSTRAINT pk_swift_accounts PRIMARY KEY (account)
);
CREATE TABLE swift_containers (
	account VARCHAR(256) NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	created FLOAT NOT NULL, 
	put_timestamp FLOAT NOT NULL, 
	meta JSON NOT NULL, 
	object_count BIGINT NOT NULL, 
	bytes_used BIGINT NOT NULL, 
	CONSTRAINT pk_swift_containers PRIMARY KEY (account, name)
);
CREATE TABLE swift_objects (
	account VARCHAR(256) NOT NULL, 
	container VARCHAR(256) NOT NULL, 
	name VARCHAR(1024) NOT NULL, 
	size BIGINT NOT NULL, 
	etag VARCHAR(64) NOT NULL, 
	content_type VARCHAR(512) NOT NULL, 
	timestamp FLOAT NOT NULL, 
	meta JSON NOT NULL, 
	blob_key VARCHAR(255), 
	blob_size BIGINT NOT NULL, 
	delete_at BIGINT, 
	CONSTRAINT pk_swift_objects PRIMARY KEY (account, container, name)
);
CREATE INDEX ix_swift_objects_delete_at ON swift_objects (delete_at);
CREATE TABLE volume_backups (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	name VARCHAR(255), 
	description VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	volume_id VARCHAR(36) NOT NULL, 
	snapshot_id VARCHAR(36), 
	size INTEGER NOT NULL, 
	object_count INTEGER NOT NULL, 
	container VARCHAR(255), 
	availability_zone VARCHAR(255), 
	is_incremental BOOLEAN NOT NULL, 
	parent_id VARCHAR(36), 
	data_timestamp DATETIME, 
	fail_reason TEXT, 
	restore_volume_id VARCHAR(36), 
	metadata JSON NOT NULL, 
	volume_metadata JSON NOT NULL, 
	blob_key VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	service_metadata VARCHAR(255), 
	volume_bootable BOOLEAN DEFAULT 0 NOT NULL, 
	volume_image_metadata JSON DEFAULT '{}' NOT NULL, 
	CONSTRAINT pk_volume_backups PRIMARY KEY (id)
);
CREATE INDEX ix_volume_backups_created_at ON volume_backups (created_at);
CREATE INDEX ix_volume_backups_project_id ON volume_backups (project_id);
CREATE INDEX ix_volume_backups_volume_id ON volume_backups (volume_id);
CREATE TABLE volume_group_snapshots (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	name VARCHAR(255), 
	description VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	group_id VARCHAR(36) NOT NULL, 
	group_type_id VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_group_snapshots PRIMARY KEY (id)
);
CREATE INDEX ix_volume_group_snapshots_created_at ON volume_group_snapshots (created_at);
CREATE INDEX ix_volume_group_snapshots_group_id ON volume_group_snapshots (group_id);
CREATE INDEX ix_volume_group_snapshots_project_id ON volume_group_snapshots (project_id);
CREATE TABLE volume_group_types (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255), 
	is_public BOOLEAN NOT NULL, 
	group_specs JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_group_types PRIMARY KEY (id), 
	CONSTRAINT uq_volume_group_types_name UNIQUE (name)
);
CREATE TABLE volume_groups (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	name VARCHAR(255), 
	description VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	group_type_id VARCHAR(36) NOT NULL, 
	volume_type_ids JSON NOT NULL, 
	availability_zone VARCHAR(255), 
	group_snapshot_id VARCHAR(36), 
	source_group_id VARCHAR(36), 
	replication_status VARCHAR(32), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_groups PRIMARY KEY (id)
);
CREATE INDEX ix_volume_groups_created_at ON volume_groups (created_at);
CREATE INDEX ix_volume_groups_project_id ON volume_groups (project_id);
CREATE TABLE volume_messages (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	request_id VARCHAR(255), 
	resource_type VARCHAR(64), 
	resource_uuid VARCHAR(36), 
	event_id VARCHAR(64) NOT NULL, 
	message_level VARCHAR(16) NOT NULL, 
	user_message VARCHAR(255) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_messages PRIMARY KEY (id)
);
CREATE INDEX ix_volume_messages_project_id ON volume_messages (project_id);
CREATE TABLE volume_qos_specs (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	consumer VARCHAR(16) NOT NULL, 
	specs JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_qos_specs PRIMARY KEY (id), 
	CONSTRAINT uq_volume_qos_specs_name UNIQUE (name)
);
CREATE TABLE volume_quotas (
	project_id VARCHAR(64) NOT NULL, 
	resource VARCHAR(255) NOT NULL, 
	hard_limit INTEGER NOT NULL, 
	CONSTRAINT pk_volume_quotas PRIMARY KEY (project_id, resource)
);
CREATE TABLE volume_services (
	host VARCHAR(255) NOT NULL, 
	binary VARCHAR(255) NOT NULL, 
	disabled BOOLEAN NOT NULL, 
	disabled_reason VARCHAR(255), 
	frozen BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_services PRIMARY KEY (host, binary)
);
CREATE TABLE volume_snapshots (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	name VARCHAR(255), 
	description VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	volume_id VARCHAR(36) NOT NULL, 
	size INTEGER NOT NULL, 
	progress VARCHAR(16) NOT NULL, 
	blob_key VARCHAR(255) NOT NULL, 
	provider_id VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	group_snapshot_id VARCHAR(36), 
	CONSTRAINT pk_volume_snapshots PRIMARY KEY (id)
);
CREATE INDEX ix_volume_snapshots_created_at ON volume_snapshots (created_at);
CREATE INDEX ix_volume_snapshots_group_snapshot_id ON volume_snapshots (group_snapshot_id);
CREATE INDEX ix_volume_snapshots_project_id ON volume_snapshots (project_id);
CREATE INDEX ix_volume_snapshots_volume_id ON volume_snapshots (volume_id);
CREATE TABLE volume_transfers (
	id VARCHAR(36) NOT NULL, 
	volume_id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255), 
	salt VARCHAR(255) NOT NULL, 
	crypt_hash VARCHAR(255) NOT NULL, 
	no_snapshots BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_transfers PRIMARY KEY (id)
);
CREATE INDEX ix_volume_transfers_project_id ON volume_transfers (project_id);
CREATE TABLE volume_types (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255), 
	is_public BOOLEAN NOT NULL, 
	qos_specs_id VARCHAR(36), 
	encryption JSON, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_types PRIMARY KEY (id), 
	CONSTRAINT uq_volume_types_name UNIQUE (name)
);
CREATE TABLE volume_volumes (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	user_id VARCHAR(64), 
	name VARCHAR(255), 
	description VARCHAR(255), 
	status VARCHAR(32) NOT NULL, 
	size INTEGER NOT NULL, 
	availability_zone VARCHAR(255), 
	volume_type_id VARCHAR(36), 
	snapshot_id VARCHAR(36), 
	source_volid VARCHAR(36), 
	backup_id VARCHAR(36), 
	image_id VARCHAR(36), 
	bootable BOOLEAN NOT NULL, 
	readonly BOOLEAN NOT NULL, 
	multiattach BOOLEAN NOT NULL, 
	attach_status VARCHAR(32) NOT NULL, 
	migration_status VARCHAR(32), 
	host VARCHAR(255), 
	provider_id VARCHAR(255), 
	blob_key VARCHAR(255) NOT NULL, 
	previous_status VARCHAR(32), 
	image_metadata JSON NOT NULL, 
	error TEXT, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	group_id VARCHAR(36), 
	CONSTRAINT pk_volume_volumes PRIMARY KEY (id)
);
CREATE INDEX ix_volume_volumes_created_at ON volume_volumes (created_at);
CREATE INDEX ix_volume_volumes_group_id ON volume_volumes (group_id);
CREATE INDEX ix_volume_volumes_project_id ON volume_volumes (project_id);
CREATE INDEX ix_volume_volumes_status ON volume_volumes (status);
CREATE TABLE accelerator_deployables (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	parent_id INTEGER, 
	root_id INTEGER, 
	name VARCHAR(255) NOT NULL, 
	num_accelerators INTEGER NOT NULL, 
	device_id INTEGER NOT NULL, 
	driver_name VARCHAR(100), 
	rp_uuid VARCHAR(36), 
	bitstream_id VARCHAR(36), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_deployables PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_deployables_uuid UNIQUE (uuid), 
	CONSTRAINT fk_accelerator_deployables_device_id_accelerator_devices FOREIGN KEY(device_id) REFERENCES accelerator_devices (id)
);
CREATE TABLE baremetal_nodes (
	uuid VARCHAR(36) NOT NULL, 
	chassis_uuid VARCHAR(36), 
	name VARCHAR(255), 
	instance_uuid VARCHAR(255), 
	driver VARCHAR(255), 
	reservation VARCHAR(255), 
	conductor_group VARCHAR(255), 
	power_state VARCHAR(255), 
	target_power_state VARCHAR(255), 
	provision_state VARCHAR(255), 
	target_provision_state VARCHAR(255), 
	maintenance_reason VARCHAR(255), 
	fault VARCHAR(255), 
	last_error VARCHAR(255), 
	resource_class VARCHAR(255), 
	protected_reason VARCHAR(255), 
	owner VARCHAR(255), 
	lessee VARCHAR(255), 
	description VARCHAR(255), 
	retired_reason VARCHAR(255), 
	boot_mode VARCHAR(255), 
	shard VARCHAR(255), 
	parent_node VARCHAR(255), 
	instance_name VARCHAR(255), 
	health VARCHAR(255), 
	bios_interface VARCHAR(255), 
	boot_interface VARCHAR(255), 
	console_interface VARCHAR(255), 
	deploy_interface VARCHAR(255), 
	firmware_interface VARCHAR(255), 
	inspect_interface VARCHAR(255), 
	management_interface VARCHAR(255), 
	network_interface VARCHAR(255), 
	power_interface VARCHAR(255), 
	raid_interface VARCHAR(255), 
	rescue_interface VARCHAR(255), 
	storage_interface VARCHAR(255), 
	vendor_interface VARCHAR(255), 
	allocation_uuid VARCHAR(255), 
	boot_device VARCHAR(255), 
	job_token VARCHAR(255), 
	driver_info JSON NOT NULL, 
	driver_internal_info JSON NOT NULL, 
	clean_step JSON NOT NULL, 
	deploy_step JSON NOT NULL, 
	service_step JSON NOT NULL, 
	raid_config JSON NOT NULL, 
	target_raid_config JSON NOT NULL, 
	instance_info JSON NOT NULL, 
	properties JSON NOT NULL, 
	extra JSON NOT NULL, 
	network_data JSON NOT NULL, 
	maintenance BOOLEAN NOT NULL, 
	console_enabled BOOLEAN NOT NULL, 
	protected BOOLEAN NOT NULL, 
	retired BOOLEAN NOT NULL, 
	disable_power_off BOOLEAN NOT NULL, 
	automated_clean BOOLEAN, 
	secure_boot BOOLEAN, 
	provision_updated_at DATETIME, 
	inspection_started_at DATETIME, 
	inspection_finished_at DATETIME, 
	boot_persistent BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_nodes PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_nodes_name UNIQUE (name), 
	CONSTRAINT uq_baremetal_nodes_instance_uuid UNIQUE (instance_uuid), 
	CONSTRAINT fk_baremetal_nodes_chassis_uuid_baremetal_chassis FOREIGN KEY(chassis_uuid) REFERENCES baremetal_chassis (uuid)
);
CREATE INDEX ix_baremetal_nodes_created_at ON baremetal_nodes (created_at);
CREATE INDEX ix_baremetal_nodes_owner ON baremetal_nodes (owner);
CREATE INDEX ix_baremetal_nodes_provision_state ON baremetal_nodes (provision_state);
CREATE TABLE compute_aggregate_hosts (
	aggregate_id INTEGER NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_compute_aggregate_hosts PRIMARY KEY (aggregate_id, host), 
	CONSTRAINT fk_compute_aggregate_hosts_aggregate_id_compute_aggregates FOREIGN KEY(aggregate_id) REFERENCES compute_aggregates (id) ON DELETE CASCADE
);
CREATE TABLE compute_aggregate_metadata (
	aggregate_id INTEGER NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_compute_aggregate_metadata PRIMARY KEY (aggregate_id, "key"), 
	CONSTRAINT fk_compute_aggregate_metadata_aggregate_id_compute_aggregates FOREIGN KEY(aggregate_id) REFERENCES compute_aggregates (id) ON DELETE CASCADE
);
CREATE TABLE compute_console_auth_tokens (
	token_hash VARCHAR(64) NOT NULL, 
	console_type VARCHAR(255) NOT NULL, 
	host VARCHAR(255), 
	port INTEGER NOT NULL, 
	tls_port INTEGER, 
	internal_access_path VARCHAR(255), 
	server_id VARCHAR(64) NOT NULL, 
	expires INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_console_auth_tokens PRIMARY KEY (token_hash), 
	CONSTRAINT fk_compute_console_auth_tokens_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE INDEX ix_compute_console_auth_tokens_expires ON compute_console_auth_tokens (expires);
CREATE INDEX ix_compute_console_auth_tokens_server_id ON compute_console_auth_tokens (server_id);
CREATE TABLE compute_flavor_extra_specs (
	flavor_id VARCHAR(255) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_compute_flavor_extra_specs PRIMARY KEY (flavor_id, "key"), 
	CONSTRAINT fk_compute_flavor_extra_specs_flavor_id_compute_flavors FOREIGN KEY(flavor_id) REFERENCES compute_flavors (id) ON DELETE CASCADE
);
CREATE TABLE compute_flavor_projects (
	flavor_id VARCHAR(255) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_compute_flavor_projects PRIMARY KEY (flavor_id, project_id), 
	CONSTRAINT fk_compute_flavor_projects_flavor_id_compute_flavors FOREIGN KEY(flavor_id) REFERENCES compute_flavors (id) ON DELETE CASCADE
);
CREATE TABLE compute_instance_action_events (
	id VARCHAR(64) NOT NULL, 
	action_id VARCHAR(64) NOT NULL, 
	event VARCHAR(255) NOT NULL, 
	result VARCHAR(32), 
	traceback TEXT, 
	host VARCHAR(255), 
	start_time DATETIME NOT NULL, 
	finish_time DATETIME, 
	CONSTRAINT pk_compute_instance_action_events PRIMARY KEY (id), 
	CONSTRAINT fk_compute_instance_action_events_action_id_compute_instance_actions FOREIGN KEY(action_id) REFERENCES compute_instance_actions (id) ON DELETE CASCADE
);
CREATE INDEX ix_compute_instance_action_events_action_id ON compute_instance_action_events (action_id);
CREATE TABLE compute_server_group_members (
	group_id VARCHAR(64) NOT NULL, 
	server_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_compute_server_group_members PRIMARY KEY (group_id, server_id), 
	CONSTRAINT fk_compute_server_group_members_group_id_compute_server_groups FOREIGN KEY(group_id) REFERENCES compute_server_groups (id) ON DELETE CASCADE
);
CREATE TABLE compute_server_metadata (
	server_id VARCHAR(64) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_compute_server_metadata PRIMARY KEY (server_id, "key"), 
	CONSTRAINT fk_compute_server_metadata_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE TABLE compute_server_passwords (
	server_id VARCHAR(64) NOT NULL, 
	password TEXT NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_compute_server_passwords PRIMARY KEY (server_id), 
	CONSTRAINT fk_compute_server_passwords_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE TABLE compute_server_ports (
	server_id VARCHAR(64) NOT NULL, 
	port_id VARCHAR(64) NOT NULL, 
	network_id VARCHAR(64) NOT NULL, 
	network_name VARCHAR(255) NOT NULL, 
	mac_address VARCHAR(32) NOT NULL, 
	fixed_ips JSON NOT NULL, 
	preexisting BOOLEAN NOT NULL, 
	tag VARCHAR(60), 
	position INTEGER NOT NULL, 
	CONSTRAINT pk_compute_server_ports PRIMARY KEY (server_id, port_id), 
	CONSTRAINT fk_compute_server_ports_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE TABLE compute_server_tags (
	server_id VARCHAR(64) NOT NULL, 
	tag VARCHAR(60) NOT NULL, 
	CONSTRAINT pk_compute_server_tags PRIMARY KEY (server_id, tag), 
	CONSTRAINT fk_compute_server_tags_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE TABLE compute_volume_attachments (
	id VARCHAR(64) NOT NULL, 
	server_id VARCHAR(64) NOT NULL, 
	volume_id VARCHAR(64) NOT NULL, 
	attachment_id VARCHAR(64), 
	device VARCHAR(64) NOT NULL, 
	tag VARCHAR(60), 
	delete_on_termination BOOLEAN NOT NULL, 
	boot_index INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	multiattach BOOLEAN DEFAULT 0 NOT NULL, 
	CONSTRAINT pk_compute_volume_attachments PRIMARY KEY (id), 
	CONSTRAINT fk_compute_volume_attachments_server_id_compute_servers FOREIGN KEY(server_id) REFERENCES compute_servers (id) ON DELETE CASCADE
);
CREATE INDEX ix_compute_volume_attachments_server_id ON compute_volume_attachments (server_id);
CREATE TABLE heat_resources (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	stack_id VARCHAR(64) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	type VARCHAR(255) NOT NULL, 
	physical_resource_id VARCHAR(255), 
	action VARCHAR(32) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	status_reason TEXT, 
	properties_data JSON, 
	definition JSON, 
	rsrc_metadata JSON, 
	data JSON, 
	requires JSON, 
	traversal INTEGER NOT NULL, 
	replaced_by INTEGER, 
	replaces INTEGER, 
	nested_stack_id VARCHAR(64), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_heat_resources PRIMARY KEY (id), 
	CONSTRAINT uq_heat_resources_uuid UNIQUE (uuid), 
	CONSTRAINT fk_heat_resources_stack_id_heat_stacks FOREIGN KEY(stack_id) REFERENCES heat_stacks (id) ON DELETE CASCADE
);
CREATE INDEX ix_heat_resources_stack ON heat_resources (stack_id, name);
CREATE TABLE heat_stack_tags (
	id INTEGER NOT NULL, 
	stack_id VARCHAR(64) NOT NULL, 
	tag VARCHAR(80) NOT NULL, 
	CONSTRAINT pk_heat_stack_tags PRIMARY KEY (id), 
	CONSTRAINT fk_heat_stack_tags_stack_id_heat_stacks FOREIGN KEY(stack_id) REFERENCES heat_stacks (id) ON DELETE CASCADE
);
CREATE INDEX ix_heat_stack_tags_stack ON heat_stack_tags (stack_id);
CREATE INDEX ix_heat_stack_tags_tag ON heat_stack_tags (tag);
CREATE TABLE image_locations (
	image_id VARCHAR(36) NOT NULL, 
	url VARCHAR(2048) NOT NULL, 
	metadata JSON NOT NULL, 
	CONSTRAINT pk_image_locations PRIMARY KEY (image_id), 
	CONSTRAINT fk_image_locations_image_id_image_images FOREIGN KEY(image_id) REFERENCES image_images (id) ON DELETE CASCADE
);
CREATE TABLE image_members (
	image_id VARCHAR(36) NOT NULL, 
	member VARCHAR(255) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_members PRIMARY KEY (image_id, member), 
	CONSTRAINT fk_image_members_image_id_image_images FOREIGN KEY(image_id) REFERENCES image_images (id) ON DELETE CASCADE
);
CREATE INDEX ix_image_members_member_status ON image_members (member, status);
CREATE TABLE image_metadef_associations (
	namespace_id VARCHAR(36) NOT NULL, 
	resource_type_id VARCHAR(36) NOT NULL, 
	prefix VARCHAR(80), 
	properties_target VARCHAR(80), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_associations PRIMARY KEY (namespace_id, resource_type_id), 
	CONSTRAINT fk_image_metadef_associations_namespace_id_image_metadef_namespaces FOREIGN KEY(namespace_id) REFERENCES image_metadef_namespaces (id) ON DELETE CASCADE, 
	CONSTRAINT fk_image_metadef_associations_resource_type_id_image_metadef_resource_types FOREIGN KEY(resource_type_id) REFERENCES image_metadef_resource_types (id) ON DELETE CASCADE
);
CREATE TABLE image_metadef_objects (
	id VARCHAR(36) NOT NULL, 
	namespace_id VARCHAR(36) NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	description TEXT, 
	required JSON, 
	properties JSON, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_objects PRIMARY KEY (id), 
	CONSTRAINT uq_image_metadef_objects_namespace_name UNIQUE (namespace_id, name), 
	CONSTRAINT fk_image_metadef_objects_namespace_id_image_metadef_namespaces FOREIGN KEY(namespace_id) REFERENCES image_metadef_namespaces (id) ON DELETE CASCADE
);
CREATE TABLE image_metadef_properties (
	id VARCHAR(36) NOT NULL, 
	namespace_id VARCHAR(36) NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	schema JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_properties PRIMARY KEY (id), 
	CONSTRAINT uq_image_metadef_properties_namespace_name UNIQUE (namespace_id, name), 
	CONSTRAINT fk_image_metadef_properties_namespace_id_image_metadef_namespaces FOREIGN KEY(namespace_id) REFERENCES image_metadef_namespaces (id) ON DELETE CASCADE
);
CREATE TABLE image_metadef_tags (
	id VARCHAR(36) NOT NULL, 
	namespace_id VARCHAR(36) NOT NULL, 
	name VARCHAR(80) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_image_metadef_tags PRIMARY KEY (id), 
	CONSTRAINT uq_image_metadef_tags_namespace_name UNIQUE (namespace_id, name), 
	CONSTRAINT fk_image_metadef_tags_namespace_id_image_metadef_namespaces FOREIGN KEY(namespace_id) REFERENCES image_metadef_namespaces (id) ON DELETE CASCADE
);
CREATE TABLE image_properties (
	image_id VARCHAR(36) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	value TEXT NOT NULL, 
	CONSTRAINT pk_image_properties PRIMARY KEY (image_id, name), 
	CONSTRAINT fk_image_properties_image_id_image_images FOREIGN KEY(image_id) REFERENCES image_images (id) ON DELETE CASCADE
);
CREATE INDEX ix_image_properties_name_value ON image_properties (name, value);
CREATE TABLE image_tags (
	image_id VARCHAR(36) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_image_tags PRIMARY KEY (image_id, value), 
	CONSTRAINT fk_image_tags_image_id_image_images FOREIGN KEY(image_id) REFERENCES image_images (id) ON DELETE CASCADE
);
CREATE INDEX ix_image_tags_value ON image_tags (value);
CREATE TABLE key_manager_container_secrets (
	container_id VARCHAR(36) NOT NULL, 
	secret_id VARCHAR(36) NOT NULL, 
	name VARCHAR(255), 
	CONSTRAINT pk_key_manager_container_secrets PRIMARY KEY (container_id, secret_id), 
	CONSTRAINT fk_key_manager_container_secrets_container_id_key_manager_containers FOREIGN KEY(container_id) REFERENCES key_manager_containers (id) ON DELETE CASCADE
);
CREATE INDEX ix_key_manager_container_secrets_secret ON key_manager_container_secrets (secret_id);
CREATE TABLE key_manager_secret_metadata (
	secret_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_key_manager_secret_metadata PRIMARY KEY (secret_id, "key"), 
	CONSTRAINT fk_key_manager_secret_metadata_secret_id_key_manager_secrets FOREIGN KEY(secret_id) REFERENCES key_manager_secrets (id) ON DELETE CASCADE
);
CREATE TABLE neutron_agent_bindings (
	agent_id VARCHAR(36) NOT NULL, 
	resource_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_neutron_agent_bindings PRIMARY KEY (agent_id, resource_id), 
	CONSTRAINT fk_neutron_agent_bindings_agent_id_neutron_agents FOREIGN KEY(agent_id) REFERENCES neutron_agents (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_agent_bindings_resource_id ON neutron_agent_bindings (resource_id);
CREATE TABLE neutron_flavor_profile_bindings (
	flavor_id VARCHAR(36) NOT NULL, 
	service_profile_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_neutron_flavor_profile_bindings PRIMARY KEY (flavor_id, service_profile_id), 
	CONSTRAINT fk_neutron_flavor_profile_bindings_flavor_id_neutron_flavors FOREIGN KEY(flavor_id) REFERENCES neutron_flavors (id) ON DELETE CASCADE, 
	CONSTRAINT fk_neutron_flavor_profile_bindings_service_profile_id_neutron_service_profiles FOREIGN KEY(service_profile_id) REFERENCES neutron_service_profiles (id)
);
CREATE TABLE neutron_floating_ips (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	floating_network_id VARCHAR(36) NOT NULL, 
	floating_ip_address VARCHAR(64) NOT NULL, 
	floating_port_id VARCHAR(36) NOT NULL, 
	port_id VARCHAR(36), 
	fixed_ip_address VARCHAR(64), 
	router_id VARCHAR(36), 
	status VARCHAR(16) NOT NULL, 
	CONSTRAINT pk_neutron_floating_ips PRIMARY KEY (id), 
	CONSTRAINT fk_neutron_floating_ips_floating_network_id_neutron_networks FOREIGN KEY(floating_network_id) REFERENCES neutron_networks (id)
);
CREATE INDEX ix_neutron_floating_ips_project_id ON neutron_floating_ips (project_id);
CREATE TABLE neutron_metering_label_rules (
	id VARCHAR(36) NOT NULL, 
	metering_label_id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	direction VARCHAR(16) NOT NULL, 
	excluded BOOLEAN NOT NULL, 
	remote_ip_prefix VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_neutron_metering_label_rules PRIMARY KEY (id), 
	CONSTRAINT fk_neutron_metering_label_rules_metering_label_id_neutron_metering_labels FOREIGN KEY(metering_label_id) REFERENCES neutron_metering_labels (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_metering_label_rules_metering_label_id ON neutron_metering_label_rules (metering_label_id);
CREATE TABLE neutron_network_segments (
	network_id VARCHAR(36) NOT NULL, 
	position INTEGER NOT NULL, 
	network_type VARCHAR(32) NOT NULL, 
	physical_network VARCHAR(64), 
	segmentation_id INTEGER, 
	CONSTRAINT pk_neutron_network_segments PRIMARY KEY (network_id, position), 
	CONSTRAINT fk_neutron_network_segments_network_id_neutron_networks FOREIGN KEY(network_id) REFERENCES neutron_networks (id) ON DELETE CASCADE
);
CREATE TABLE neutron_ports (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	network_id VARCHAR(36) NOT NULL, 
	mac_address VARCHAR(32) NOT NULL, 
	admin_state_up BOOLEAN NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	device_id VARCHAR(255) NOT NULL, 
	device_owner VARCHAR(255) NOT NULL, 
	binding_host_id VARCHAR(255) NOT NULL, 
	binding_vnic_type VARCHAR(64) NOT NULL, 
	binding_vif_type VARCHAR(64) NOT NULL, 
	binding_profile JSON NOT NULL, 
	binding_vif_details JSON NOT NULL, 
	port_security_enabled BOOLEAN NOT NULL, 
	allowed_address_pairs JSON NOT NULL, 
	extra_dhcp_opts JSON NOT NULL, 
	dns_name VARCHAR(255) NOT NULL, 
	propagate_uplink_status BOOLEAN DEFAULT 0 NOT NULL, 
	dns_domain VARCHAR(255) DEFAULT '' NOT NULL, 
	CONSTRAINT pk_neutron_ports PRIMARY KEY (id), 
	CONSTRAINT uq_neutron_ports_network_id_mac_address UNIQUE (network_id, mac_address), 
	CONSTRAINT fk_neutron_ports_network_id_neutron_networks FOREIGN KEY(network_id) REFERENCES neutron_networks (id)
);
CREATE INDEX ix_neutron_ports_device_id ON neutron_ports (device_id);
CREATE INDEX ix_neutron_ports_project_id ON neutron_ports (project_id);
CREATE TABLE neutron_qos_bindings (
	resource_id VARCHAR(36) NOT NULL, 
	resource_type VARCHAR(32) NOT NULL, 
	policy_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_neutron_qos_bindings PRIMARY KEY (resource_id), 
	CONSTRAINT fk_neutron_qos_bindings_policy_id_neutron_qos_policies FOREIGN KEY(policy_id) REFERENCES neutron_qos_policies (id)
);
CREATE INDEX ix_neutron_qos_bindings_policy_id ON neutron_qos_bindings (policy_id);
CREATE TABLE neutron_qos_rules (
	id VARCHAR(36) NOT NULL, 
	policy_id VARCHAR(36) NOT NULL, 
	type VARCHAR(32) NOT NULL, 
	direction VARCHAR(16), 
	max_kbps INTEGER, 
	max_burst_kbps INTEGER, 
	min_kbps INTEGER, 
	dscp_mark INTEGER, 
	position INTEGER NOT NULL, 
	CONSTRAINT pk_neutron_qos_rules PRIMARY KEY (id), 
	CONSTRAINT fk_neutron_qos_rules_policy_id_neutron_qos_policies FOREIGN KEY(policy_id) REFERENCES neutron_qos_policies (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_qos_rules_policy_id ON neutron_qos_rules (policy_id);
CREATE TABLE neutron_router_flavors (
	router_id VARCHAR(36) NOT NULL, 
	flavor_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_neutron_router_flavors PRIMARY KEY (router_id), 
	CONSTRAINT fk_neutron_router_flavors_flavor_id_neutron_flavors FOREIGN KEY(flavor_id) REFERENCES neutron_flavors (id)
);
CREATE TABLE neutron_security_group_rules (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	security_group_id VARCHAR(36) NOT NULL, 
	direction VARCHAR(16) NOT NULL, 
	ethertype VARCHAR(8) NOT NULL, 
	protocol VARCHAR(40), 
	port_range_min INTEGER, 
	port_range_max INTEGER, 
	remote_ip_prefix VARCHAR(64), 
	remote_group_id VARCHAR(36), 
	remote_address_group_id VARCHAR(36), 
	CONSTRAINT pk_neutron_security_group_rules PRIMARY KEY (id), 
	CONSTRAINT fk_neutron_security_group_rules_security_group_id_neutron_security_groups FOREIGN KEY(security_group_id) REFERENCES neutron_security_groups (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_security_group_rules_sg ON neutron_security_group_rules (security_group_id);
CREATE TABLE neutron_subnets (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	network_id VARCHAR(36) NOT NULL, 
	ip_version INTEGER NOT NULL, 
	cidr VARCHAR(64) NOT NULL, 
	gateway_ip VARCHAR(64), 
	enable_dhcp BOOLEAN NOT NULL, 
	ipv6_ra_mode VARCHAR(32), 
	ipv6_address_mode VARCHAR(32), 
	subnetpool_id VARCHAR(36), 
	segment_id VARCHAR(36), 
	allocation_pools JSON NOT NULL, 
	dns_nameservers JSON NOT NULL, 
	host_routes JSON NOT NULL, 
	service_types JSON NOT NULL, 
	dns_publish_fixed_ip BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_subnets PRIMARY KEY (id), 
	CONSTRAINT fk_neutron_subnets_network_id_neutron_networks FOREIGN KEY(network_id) REFERENCES neutron_networks (id)
);
CREATE INDEX ix_neutron_subnets_network_id ON neutron_subnets (network_id);
CREATE TABLE volume_attachments (
	id VARCHAR(36) NOT NULL, 
	volume_id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	instance_uuid VARCHAR(36), 
	attached_host VARCHAR(255), 
	mountpoint VARCHAR(255), 
	attach_mode VARCHAR(8) NOT NULL, 
	attach_status VARCHAR(32) NOT NULL, 
	connector JSON, 
	attach_time DATETIME, 
	detach_time DATETIME, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_attachments PRIMARY KEY (id), 
	CONSTRAINT fk_volume_attachments_volume_id_volume_volumes FOREIGN KEY(volume_id) REFERENCES volume_volumes (id) ON DELETE CASCADE
);
CREATE INDEX ix_volume_attachments_volume_id ON volume_attachments (volume_id);
CREATE TABLE volume_default_types (
	project_id VARCHAR(64) NOT NULL, 
	volume_type_id VARCHAR(36) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_volume_default_types PRIMARY KEY (project_id), 
	CONSTRAINT fk_volume_default_types_volume_type_id_volume_types FOREIGN KEY(volume_type_id) REFERENCES volume_types (id) ON DELETE CASCADE
);
CREATE TABLE volume_metadata (
	volume_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_volume_metadata PRIMARY KEY (volume_id, "key"), 
	CONSTRAINT fk_volume_metadata_volume_id_volume_volumes FOREIGN KEY(volume_id) REFERENCES volume_volumes (id) ON DELETE CASCADE
);
CREATE TABLE volume_snapshot_metadata (
	snapshot_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_volume_snapshot_metadata PRIMARY KEY (snapshot_id, "key"), 
	CONSTRAINT fk_volume_snapshot_metadata_snapshot_id_volume_snapshots FOREIGN KEY(snapshot_id) REFERENCES volume_snapshots (id) ON DELETE CASCADE
);
CREATE TABLE volume_type_extra_specs (
	type_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_volume_type_extra_specs PRIMARY KEY (type_id, "key"), 
	CONSTRAINT fk_volume_type_extra_specs_type_id_volume_types FOREIGN KEY(type_id) REFERENCES volume_types (id) ON DELETE CASCADE
);
CREATE TABLE volume_type_projects (
	type_id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(64) NOT NULL, 
	CONSTRAINT pk_volume_type_projects PRIMARY KEY (type_id, project_id), 
	CONSTRAINT fk_volume_type_projects_type_id_volume_types FOREIGN KEY(type_id) REFERENCES volume_types (id) ON DELETE CASCADE
);
CREATE TABLE accelerator_attach_handles (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	deployable_id INTEGER NOT NULL, 
	attach_type VARCHAR(30) NOT NULL, 
	attach_info JSON NOT NULL, 
	in_use BOOLEAN NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_attach_handles PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_attach_handles_uuid UNIQUE (uuid), 
	CONSTRAINT fk_accelerator_attach_handles_deployable_id_accelerator_deployables FOREIGN KEY(deployable_id) REFERENCES accelerator_deployables (id)
);
CREATE TABLE accelerator_attributes (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	deployable_id INTEGER NOT NULL, 
	"key" VARCHAR(255) NOT NULL, 
	value VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_attributes PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_attributes_deployable_id_key UNIQUE (deployable_id, "key"), 
	CONSTRAINT uq_accelerator_attributes_uuid UNIQUE (uuid), 
	CONSTRAINT fk_accelerator_attributes_deployable_id_accelerator_deployables FOREIGN KEY(deployable_id) REFERENCES accelerator_deployables (id)
);
CREATE TABLE baremetal_node_history (
	uuid VARCHAR(36) NOT NULL, 
	node_uuid VARCHAR(36) NOT NULL, 
	conductor VARCHAR(255), 
	event_type VARCHAR(255), 
	severity VARCHAR(255), 
	event TEXT, 
	user VARCHAR(64), 
	project VARCHAR(64), 
	state VARCHAR(15), 
	target_provision_state VARCHAR(15), 
	duration_seconds INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_node_history PRIMARY KEY (uuid), 
	CONSTRAINT fk_baremetal_node_history_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid) ON DELETE CASCADE
);
CREATE INDEX ix_baremetal_node_history_node_uuid ON baremetal_node_history (node_uuid);
CREATE TABLE baremetal_node_traits (
	node_uuid VARCHAR(36) NOT NULL, 
	trait VARCHAR(255) NOT NULL, 
	created_at DATETIME NOT NULL, 
	CONSTRAINT pk_baremetal_node_traits PRIMARY KEY (node_uuid, trait), 
	CONSTRAINT fk_baremetal_node_traits_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid) ON DELETE CASCADE
);
CREATE TABLE baremetal_portgroups (
	uuid VARCHAR(36) NOT NULL, 
	name VARCHAR(255), 
	node_uuid VARCHAR(36) NOT NULL, 
	address VARCHAR(18), 
	extra JSON NOT NULL, 
	internal_info JSON NOT NULL, 
	properties JSON NOT NULL, 
	standalone_ports_supported BOOLEAN NOT NULL, 
	mode VARCHAR(255), 
	physical_network VARCHAR(64), 
	category VARCHAR(80), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	dynamic_portgroup BOOLEAN DEFAULT 0 NOT NULL, 
	CONSTRAINT pk_baremetal_portgroups PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_portgroups_name UNIQUE (name), 
	CONSTRAINT uq_baremetal_portgroups_address UNIQUE (address), 
	CONSTRAINT fk_baremetal_portgroups_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid)
);
CREATE INDEX ix_baremetal_portgroups_node_uuid ON baremetal_portgroups (node_uuid);
CREATE TABLE baremetal_volume_connectors (
	uuid VARCHAR(36) NOT NULL, 
	node_uuid VARCHAR(36) NOT NULL, 
	type VARCHAR(32) NOT NULL, 
	connector_id VARCHAR(255) NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_volume_connectors PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_volume_connectors_type_connector_id UNIQUE (type, connector_id), 
	CONSTRAINT fk_baremetal_volume_connectors_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid)
);
CREATE TABLE baremetal_volume_targets (
	uuid VARCHAR(36) NOT NULL, 
	node_uuid VARCHAR(36) NOT NULL, 
	volume_type VARCHAR(64) NOT NULL, 
	properties JSON NOT NULL, 
	boot_index INTEGER NOT NULL, 
	volume_id VARCHAR(36) NOT NULL, 
	extra JSON NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_baremetal_volume_targets PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_volume_targets_node_uuid_boot_index UNIQUE (node_uuid, boot_index), 
	CONSTRAINT fk_baremetal_volume_targets_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid)
);
CREATE TABLE neutron_ip_allocations (
	subnet_id VARCHAR(36) NOT NULL, 
	ip_address VARCHAR(64) NOT NULL, 
	port_id VARCHAR(36) NOT NULL, 
	network_id VARCHAR(36) NOT NULL, 
	position INTEGER NOT NULL, 
	CONSTRAINT pk_neutron_ip_allocations PRIMARY KEY (subnet_id, ip_address), 
	CONSTRAINT fk_neutron_ip_allocations_subnet_id_neutron_subnets FOREIGN KEY(subnet_id) REFERENCES neutron_subnets (id), 
	CONSTRAINT fk_neutron_ip_allocations_port_id_neutron_ports FOREIGN KEY(port_id) REFERENCES neutron_ports (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_ip_allocations_port_id ON neutron_ip_allocations (port_id);
CREATE TABLE neutron_port_bindings (
	port_id VARCHAR(36) NOT NULL, 
	host VARCHAR(255) NOT NULL, 
	vnic_type VARCHAR(64) NOT NULL, 
	profile JSON NOT NULL, 
	vif_type VARCHAR(64) NOT NULL, 
	vif_details JSON NOT NULL, 
	CONSTRAINT pk_neutron_port_bindings PRIMARY KEY (port_id, host), 
	CONSTRAINT fk_neutron_port_bindings_port_id_neutron_ports FOREIGN KEY(port_id) REFERENCES neutron_ports (id) ON DELETE CASCADE
);
CREATE TABLE neutron_port_forwardings (
	id VARCHAR(36) NOT NULL, 
	floatingip_id VARCHAR(36) NOT NULL, 
	external_port INTEGER NOT NULL, 
	internal_port INTEGER NOT NULL, 
	internal_ip_address VARCHAR(64) NOT NULL, 
	internal_port_id VARCHAR(36) NOT NULL, 
	protocol VARCHAR(40) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	CONSTRAINT pk_neutron_port_forwardings PRIMARY KEY (id), 
	CONSTRAINT uq_neutron_pf_external UNIQUE (floatingip_id, external_port, protocol), 
	CONSTRAINT uq_neutron_pf_internal UNIQUE (internal_port_id, internal_ip_address, internal_port, protocol), 
	CONSTRAINT fk_neutron_pf_floatingip FOREIGN KEY(floatingip_id) REFERENCES neutron_floating_ips (id) ON DELETE CASCADE
);
CREATE INDEX ix_neutron_port_forwardings_floatingip_id ON neutron_port_forwardings (floatingip_id);
CREATE TABLE neutron_port_security_groups (
	port_id VARCHAR(36) NOT NULL, 
	security_group_id VARCHAR(36) NOT NULL, 
	CONSTRAINT pk_neutron_port_security_groups PRIMARY KEY (port_id, security_group_id), 
	CONSTRAINT fk_neutron_port_security_groups_port_id_neutron_ports FOREIGN KEY(port_id) REFERENCES neutron_ports (id) ON DELETE CASCADE, 
	CONSTRAINT fk_neutron_port_security_groups_security_group_id_neutron_security_groups FOREIGN KEY(security_group_id) REFERENCES neutron_security_groups (id)
);
CREATE TABLE neutron_trunks (
	id VARCHAR(36) NOT NULL, 
	project_id VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description VARCHAR(255) NOT NULL, 
	revision_number INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	port_id VARCHAR(36) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	admin_state_up BOOLEAN NOT NULL, 
	CONSTRAINT pk_neutron_trunks PRIMARY KEY (id), 
	CONSTRAINT uq_neutron_trunks_port_id UNIQUE (port_id), 
	CONSTRAINT fk_neutron_trunks_port_id_neutron_ports FOREIGN KEY(port_id) REFERENCES neutron_ports (id)
);
CREATE TABLE accelerator_arqs (
	id INTEGER NOT NULL, 
	uuid VARCHAR(36) NOT NULL, 
	state VARCHAR(36) NOT NULL, 
	device_profile_id INTEGER NOT NULL, 
	device_profile_name VARCHAR(255) NOT NULL, 
	device_profile_group_id INTEGER NOT NULL, 
	hostname VARCHAR(255), 
	device_rp_uuid VARCHAR(36), 
	instance_uuid VARCHAR(36), 
	project_id VARCHAR(64), 
	attach_handle_id INTEGER, 
	deployable_id INTEGER, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	CONSTRAINT pk_accelerator_arqs PRIMARY KEY (id), 
	CONSTRAINT uq_accelerator_arqs_uuid UNIQUE (uuid), 
	CONSTRAINT fk_accelerator_arqs_device_profile_id_accelerator_device_profiles FOREIGN KEY(device_profile_id) REFERENCES accelerator_device_profiles (id), 
	CONSTRAINT fk_accelerator_arqs_attach_handle_id_accelerator_attach_handles FOREIGN KEY(attach_handle_id) REFERENCES accelerator_attach_handles (id)
);
CREATE INDEX ix_accelerator_arqs_instance_uuid ON accelerator_arqs (instance_uuid);
CREATE TABLE baremetal_ports (
	uuid VARCHAR(36) NOT NULL, 
	address VARCHAR(18) NOT NULL, 
	node_uuid VARCHAR(36) NOT NULL, 
	portgroup_uuid VARCHAR(36), 
	extra JSON NOT NULL, 
	internal_info JSON NOT NULL, 
	local_link_connection JSON NOT NULL, 
	pxe_enabled BOOLEAN NOT NULL, 
	physical_network VARCHAR(64), 
	is_smartnic BOOLEAN NOT NULL, 
	name VARCHAR(255), 
	description VARCHAR(255), 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME, 
	vendor VARCHAR(32), 
	category VARCHAR(80), 
	available_for_dynamic_portgroup BOOLEAN DEFAULT 1 NOT NULL, 
	CONSTRAINT pk_baremetal_ports PRIMARY KEY (uuid), 
	CONSTRAINT uq_baremetal_ports_address UNIQUE (address), 
	CONSTRAINT uq_baremetal_ports_name UNIQUE (name), 
	CONSTRAINT fk_baremetal_ports_node_uuid_baremetal_nodes FOREIGN KEY(node_uuid) REFERENCES baremetal_nodes (uuid), 
	CONSTRAINT fk_baremetal_ports_portgroup_uuid_baremetal_portgroups FOREIGN KEY(portgroup_uuid) REFERENCES baremetal_portgroups (uuid)
);
CREATE INDEX ix_baremetal_ports_node_uuid ON baremetal_ports (node_uuid);
CREATE TABLE neutron_trunk_subports (
	port_id VARCHAR(36) NOT NULL, 
	trunk_id VARCHAR(36) NOT NULL, 
	segmentation_type VARCHAR(32) NOT NULL, 
	segmentation_id INTEGER NOT NULL, 
	CONSTRAINT pk_neutron_trunk_subports PRIMARY KEY (port_id), 
	CONSTRAINT uq_neutron_trunk_subports_trunk_id_segmentation_type_segmentation_id UNIQUE (trunk_id, segmentation_type, segmentation_id), 
	CONSTRAINT fk_neutron_trunk_subports_port_id_neutron_ports FOREIGN KEY(port_id) REFERENCES neutron_ports (id), 
	CONSTRAINT fk_neutron_trunk_subports_trunk_id_neutron_trunks FOREIGN KEY(trunk_id) REFERENCES neutron_trunks (id) ON DELETE CASCADE
);
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO pocketstack_generation (id, value, jobs_paused_until) VALUES (1, 0, NULL);
INSERT INTO alembic_version (version_num) VALUES ('0019');
