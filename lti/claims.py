"""Claim names of LTI 1.3 and Deep Linking 2.0, and the context roles Checkfirst maps."""

from __future__ import annotations

from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
RESOURCE_LINK = LTI + "resource_link"
CUSTOM = LTI + "custom"
DEEP_LINKING_SETTINGS = DL + "deep_linking_settings"
CONTENT_ITEMS = DL + "content_items"
DL_DATA = DL + "data"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"
MESSAGE_TYPES = {RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST}

MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
# Context roles that make a course's instructor; sub-roles (Instructor#TeachingAssistant) too.
STAFF_ROLES = {"Instructor", "TeachingAssistant"}
LEARNER_ROLES = {"Learner"}


def context_role_names(roles: list[Any]) -> set[str]:
    """Short names of the context (membership) roles: ``...membership#Instructor`` and the
    deprecated bare ``Instructor`` give ``Instructor``; a sub-role
    ``...membership/Instructor#TeachingAssistant`` gives ``TeachingAssistant``. System and
    institution roles (``.../system/person#Administrator``) are not about this course: ignored.
    """
    names: set[str] = set()
    for role in roles:
        if not isinstance(role, str):
            continue
        if role.startswith(MEMBERSHIP):
            names.add(role[len(MEMBERSHIP) :])
        elif role.startswith("http://purl.imsglobal.org/vocab/lis/v2/membership/"):
            names.add(role.rsplit("#", 1)[-1])
        elif "/" not in role and "#" not in role:
            names.add(role)
    return names


def course_role_for(roles: list[Any]) -> str | None:
    """``instructor``, ``learner`` or None (no role in this course)."""
    names = context_role_names(roles)
    if names & STAFF_ROLES:
        return "instructor"
    if names & LEARNER_ROLES:
        return "learner"
    return None
