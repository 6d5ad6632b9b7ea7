"""A container image reference checked against the distribution reference grammar
(docker/distribution reference/regexp.go): [host[:port]/]path[:tag][@digest]."""
from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = re.compile(rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$")
MAX_LENGTH = 512
NAME_MAX = 255


def check_reference(value: str) -> str:
    """The reference, or ValueError saying what is wrong with it."""
    if not value:
        raise ValueError("is required")
    if len(value) > MAX_LENGTH:
        raise ValueError(f"is longer than {MAX_LENGTH} characters")
    if value != value.strip() or any(c.isspace() for c in value):
        raise ValueError("must not contain spaces")
    match = REFERENCE.match(value)
    if match is None:
        raise ValueError("is not a container image reference ([registry/]repository[:tag][@digest], lowercase repository)")
    domain = match.group("domain")
    # "name/x" names a Docker Hub user; a first part with '.' or ':' (or localhost) is a registry
    if domain and not ("." in domain or ":" in domain or domain == "localhost" or domain.startswith("[")):
        if not re.fullmatch(_COMPONENT, domain):  # not a registry, so a path component: lowercase
            raise ValueError("is not a container image reference ([registry/]repository[:tag][@digest], lowercase repository)")
        domain = None
    if len((domain + "/" if domain else "") + match.group("path")) > NAME_MAX:
        raise ValueError(f"repository name is longer than {NAME_MAX} characters")
    return value


def registry_host(value: str) -> str | None:
    """The registry host of a reference (None: Docker Hub)."""
    first, sep, _rest = value.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None
