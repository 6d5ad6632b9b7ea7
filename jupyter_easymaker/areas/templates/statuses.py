"""The guide's status words and the transitions between them, per kind."""
from __future__ import annotations

from jupyter_easymaker.core.state_machine import _machine


class TemplateStatus:
    ACTIVE = "ACTIVE"


TEMPLATE_MACHINE = _machine("training template", TemplateStatus.ACTIVE, {TemplateStatus.ACTIVE: set()}, {TemplateStatus.ACTIVE},
                            words=TemplateStatus)
