"""Experiments: groups of trainings, tunings and (later) pipeline runs."""
from jupyter_easymaker.core.area import Area, Work

AREA = Area(
    name="experiments",
    capability="experiments",
    service="service:ExperimentService",
    client="client:ExperimentsClient",
    magics=True,
    reconciler="reconciler:ExperimentReconciler",
    work=(Work("experiments", "statuses:EXPERIMENT_PENDING"),),
    machines=("statuses:EXPERIMENT_MACHINE",),
)
