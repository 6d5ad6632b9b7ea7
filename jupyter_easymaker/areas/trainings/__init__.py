"""Trainings: a script (or a built-in algorithm) run as a job, with its logs,
metrics and model."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="trainings",
    capability="trainings",
    service="service:TrainingService",
    reconciler="reconciler:TrainingReconciler",
    client="client:TrainingsClient",
    magics=True,
    requires=("experiments", "templates", "images"),
    guards=(Guard("experiment", "trainings", "names_in_experiment"), Guard("image in use", "trainings", "running_with_image")),
    work=(Work("trainings", "statuses:TRAINING_ACTIVE"),),
    machines=("statuses:TRAINING_MACHINE",),
    counts="dashboard_counts",
    holds="holding",
)
