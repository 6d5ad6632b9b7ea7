"""Models: artifacts registered for serving, from a training, a tuning's best
trial, a path or the Hugging Face Hub."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="models",
    capability="models",
    service="service:ModelService",
    reconciler="reconciler:ModelReconciler",
    client="client:ModelsClient",
    magics=True,
    requires=("trainings", "tuning"),
    guards=(Guard("training", "models", "count_from_training"), Guard("hyperparameter tuning", "models", "count_from_tuning")),
    work=(Work("models", "statuses:MODEL_PENDING"),),
    machines=("statuses:MODEL_MACHINE",),
)
