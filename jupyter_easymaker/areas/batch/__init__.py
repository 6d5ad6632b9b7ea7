"""Batch inference: a model over files of records, as a job."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="batch",
    capability="batch-inference",
    service="service:BatchInferenceService",
    reconciler="reconciler:BatchInferenceReconciler",
    client="client:BatchClient",
    magics=True,
    requires=("models", "trainings"),
    guards=(Guard("model", "batch inferences", "count_for_model"),),
    work=(Work("batch_inferences", "statuses:BATCH_INFERENCE_ACTIVE"),),
    machines=("statuses:BATCH_INFERENCE_MACHINE",),
    holds="holding",
)
