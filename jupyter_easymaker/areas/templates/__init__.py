"""Training templates: every field of a training saved under a name."""
from jupyter_easymaker.core.area import Area

AREA = Area(
    name="templates",
    capability="training-templates",
    service="service:TemplateService",
    client="client:TemplatesClient",
    magics=True,
    requires=("trainings",),
    machines=("statuses:TEMPLATE_MACHINE",),
)
