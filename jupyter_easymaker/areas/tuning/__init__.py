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
    requires=("experiments", "trainings", "templates"),
    guards=(Guard("experiment", "hyperparameter tunings", "count_in_experiment"),),
    work=(Work("hyperparameter_tunings", "statuses:HYPERPARAMETER_TUNING_ACTIVE"),),
    machines=("statuses:HYPERPARAMETER_TUNING_MACHINE", "statuses:TRIAL_MACHINE"),
)
