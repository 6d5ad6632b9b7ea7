"""Hyperparameter tuning: trials of a training's code searched with Optuna,
ended the way Katib ends an experiment."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="tuning",
    capability="hyperparameter-tuning",
    service="service:HyperparameterTuningService",
    reconciler="reconciler:TuningReconciler",
    client="client:TuningsClient",
    magics=True,
    requires=("experiments", "trainings", "templates", "images"),
    guards=(Guard("experiment", "hyperparameter tunings", "count_in_experiment"),
            Guard("image in use", "hyperparameter tunings", "running_with_image")),
    work=(Work("hyperparameter_tunings", "statuses:HYPERPARAMETER_TUNING_ACTIVE"),),
    machines=("statuses:HYPERPARAMETER_TUNING_MACHINE", "statuses:TRIAL_MACHINE"),
    counts="dashboard_counts",
    holds="holding",
)
