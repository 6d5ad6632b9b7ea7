"""The areas of the product, in the guide's order: the one list the server
extension, the route table and OpenAPI document (:mod:`jupyter_easymaker.api`),
table registration, the status words, the client and the magics iterate
over. Adding an area is adding its package and one line here. This module
stays light: the client and the magics import it in any kernel."""
from __future__ import annotations

from jupyter_easymaker.areas.batch import AREA as batch
from jupyter_easymaker.areas.dashboard import AREA as dashboard
from jupyter_easymaker.areas.endpoints import AREA as endpoints
from jupyter_easymaker.areas.evaluations import AREA as evaluations
from jupyter_easymaker.areas.experiments import AREA as experiments
from jupyter_easymaker.areas.images import AREA as images
from jupyter_easymaker.areas.llm import AREA as llm
from jupyter_easymaker.areas.logs import AREA as logs
from jupyter_easymaker.areas.modelfiles import AREA as modelfiles
from jupyter_easymaker.areas.models import AREA as models
from jupyter_easymaker.areas.notebooks import AREA as notebooks
from jupyter_easymaker.areas.pipeline_schedules import AREA as pipeline_schedules
from jupyter_easymaker.areas.pipelines import AREA as pipelines
from jupyter_easymaker.areas.rag import AREA as rag
from jupyter_easymaker.areas.registry_accounts import AREA as registry_accounts
from jupyter_easymaker.areas.templates import AREA as templates
from jupyter_easymaker.areas.tensorboard import AREA as tensorboard
from jupyter_easymaker.areas.trainings import AREA as trainings
from jupyter_easymaker.areas.tuning import AREA as tuning
from jupyter_easymaker.core.area import Area

AREAS: tuple[Area, ...] = (
    dashboard, notebooks, experiments, trainings, templates, tuning, models, endpoints, batch, evaluations, rag, pipelines,
    pipeline_schedules, registry_accounts, images, llm, modelfiles, tensorboard, logs,
)
