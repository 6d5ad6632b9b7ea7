"""Validation rules shared by every resource kind."""
from __future__ import annotations

import re

from jupyter_easymaker.core.errors import InvalidInput

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
MAX_DESCRIPTION = 255


def validate_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{field} is required", field=field)
    if not NAME_PATTERN.match(value):
        raise InvalidInput(f"{field} must be 1-50 characters of letters, digits, '-' and '_'", field=field)
    return value
