"""Model evaluation: a batch inference over labelled data, then its metrics."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="evaluations",
    capability="model-evaluation",
    service="service:ModelEvaluationService",
    reconciler="reconciler:ModelEvaluationReconciler",
    client="client:EvaluationsClient",
    magics=True,
    requires=("models", "batch"),
    guards=(Guard("model", "model evaluations", "count_for_model"),),
    work=(Work("model_evaluations", "statuses:MODEL_EVALUATION_ACTIVE"),),
    machines=("statuses:MODEL_EVALUATION_MACHINE",),
    holds="holding",
)
