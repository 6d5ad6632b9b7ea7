"""Pipelines: Kubeflow Pipelines v2 IR uploaded, drawn and run as jobs."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="pipelines",
    capability="pipelines",
    service="service:PipelineService",
    reconciler="reconciler:PipelinesReconciler",
    client="client:PipelinesClient",
    magics=True,
    requires=("experiments",),
    guards=(Guard("experiment", "pipeline runs", "names_in_experiment"),),
    work=(Work("pipelines", "statuses:PIPELINE_PENDING"), Work("pipeline_runs", "statuses:PIPELINE_RUN_ACTIVE"),
          Work("pipeline_task_jobs", "statuses:PIPELINE_TASK_JOB_ACTIVE")),
    machines=("statuses:PIPELINE_MACHINE", "statuses:PIPELINE_RUN_MACHINE", "statuses:PIPELINE_TASK_JOB_MACHINE"),
    holds="holding",
)
