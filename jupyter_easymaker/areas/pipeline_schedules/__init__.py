"""Pipeline schedules: runs of an uploaded pipeline started on an interval or
a 6-field cron trigger, with max concurrency, start / end time and catch-up."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="pipeline_schedules",
    capability="pipeline-schedules",
    service="service:PipelineScheduleService",
    reconciler="reconciler:PipelineScheduleReconciler",
    client="client:PipelineSchedulesClient",
    magics=True,
    requires=("pipelines", "experiments"),
    guards=(
        Guard("pipeline", "pipeline schedules", "count_for_pipeline"),
        Guard("experiment", "pipeline schedules", "names_in_experiment"),
    ),
    work=(Work("pipeline_schedules", "statuses:PIPELINE_SCHEDULE_ACTIVE"),),
    machines=("statuses:PIPELINE_SCHEDULE_MACHINE",),
)
