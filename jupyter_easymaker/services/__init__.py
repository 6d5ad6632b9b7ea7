"""Business rules, one module per resource family, wired together here."""
from __future__ import annotations

from typing import Callable

from jupyter_easymaker.services.batch_inference import BatchInferenceService
from jupyter_easymaker.services.endpoints import EndpointService
from jupyter_easymaker.services.events import EventBus
from jupyter_easymaker.services.experiments import ExperimentService
from jupyter_easymaker.services.hpo import HyperparameterTuningService
from jupyter_easymaker.services.logs import LogService
from jupyter_easymaker.services.model_evaluations import ModelEvaluationService
from jupyter_easymaker.services.models import ModelService
from jupyter_easymaker.services.templates import TemplateService
from jupyter_easymaker.services.trainings import TrainingService
from jupyter_easymaker.settings import Settings
from jupyter_easymaker.store.database import Database


class Services:
    def __init__(self, settings: Settings, backend_names: Callable[[], list[str]], db: Database | None = None):
        self.settings = settings
        self.db = db or Database(settings.db_url)
        self.events = EventBus()
        self.logs = LogService(self.db, settings)
        self.experiments = ExperimentService(self.db, settings, self.events)
        self.trainings = TrainingService(self.db, settings, self.events, self.experiments, backend_names)
        self.templates = TemplateService(self.db, settings, self.events)
        self.hpo = HyperparameterTuningService(self.db, settings, self.events, self.trainings)
        self.models = ModelService(self.db, settings, self.events, self.trainings, getattr(self, "hpo", None))
        self.endpoints = EndpointService(self.db, settings, self.events, models=lambda: getattr(self, "models", None),
                                         backend_names=backend_names)
        if getattr(self, "models", None) is not None:  # a model with endpoints cannot be deleted
            self.models.dependents.append(("endpoint stage resources", self.endpoints.count_for_model))
        self.batch_inferences = BatchInferenceService(self.db, settings, self.events, self.trainings, self.models)
        self.model_evaluations = ModelEvaluationService(self.db, settings, self.events, self.batch_inferences)
