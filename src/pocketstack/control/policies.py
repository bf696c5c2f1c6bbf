"""Control API rules: everything is for admins (an operator may loosen them with a policy file,
`<data_dir>/policy/pocketstack.yaml`)."""

from __future__ import annotations

from pocketstack.core.policy import rule

ADMIN = "role:admin"
FAULTS = "/pocketstack/v1/faults"

LIST_FAULTS = "pocketstack:faults:list"
CREATE_FAULT = "pocketstack:faults:create"
DELETE_FAULT = "pocketstack:faults:delete"
RESET = "pocketstack:reset"

RULES = [
    rule(LIST_FAULTS, ADMIN, "List the injected faults", [("GET", FAULTS), ("GET", FAULTS + "/{fault_id}")],
         ["system", "project"]),
    rule(CREATE_FAULT, ADMIN, "Inject a fault", [("POST", FAULTS)], ["system", "project"]),
    rule(DELETE_FAULT, ADMIN, "Remove one fault or all", [("DELETE", FAULTS), ("DELETE", FAULTS + "/{fault_id}")],
         ["system", "project"]),
    rule(RESET, ADMIN, "Put the running cloud back to its first start (needs --allow-reset)",
         [("POST", "/pocketstack/v1/reset")], ["system", "project"]),
]
