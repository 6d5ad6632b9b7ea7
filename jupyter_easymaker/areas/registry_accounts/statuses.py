"""The guide gives registry accounts no status table: an account is usable once stored."""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class RegistryAccountStatus:
    ACTIVE = "ACTIVE"


REGISTRY_ACCOUNT_MACHINE = _machine("registry account", RegistryAccountStatus.ACTIVE, {RegistryAccountStatus.ACTIVE: set()},
                                    {RegistryAccountStatus.ACTIVE}, words=RegistryAccountStatus)
