"""Heat template versions and intrinsic functions: resolve, validate and find dependencies in snippets."""

from __future__ import annotations

from pocketstack.services.orchestration.engine.functions.errors import TemplateError, render_path
from pocketstack.services.orchestration.engine.functions.evaluator import (
    Scope, evaluate_conditions, resolve, resolve_condition)
from pocketstack.services.orchestration.engine.functions.refs import select_attribute
from pocketstack.services.orchestration.engine.functions.static import (
    PSEUDO_PARAMETERS, dependencies, validate)
from pocketstack.services.orchestration.engine.functions.versions import (
    ALIASES, VERSIONS, TemplateVersion, lookup_version, template_version, validate_sections)

__all__ = [
    "ALIASES", "PSEUDO_PARAMETERS", "VERSIONS", "Scope", "TemplateError", "TemplateVersion", "dependencies",
    "evaluate_conditions", "lookup_version", "render_path", "resolve", "resolve_condition", "select_attribute",
    "template_version", "validate", "validate_sections",
]
