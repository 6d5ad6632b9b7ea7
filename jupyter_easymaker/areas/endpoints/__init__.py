"""Endpoints: stages of model servers behind the inference gateway, with API
keys, statistics and inference logs."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="endpoints",
    capability="endpoints",
    service="service:EndpointService",
    reconciler="reconciler:EndpointReconciler",
    client="client:EndpointsClient",
    magics=True,
    requires=("models",),
    guards=(Guard("model", "endpoint stage resources", "count_for_model"),),
    work=(Work("stage_resources"), Work("endpoint_stages"), Work("endpoints")),
    machines=("statuses:ENDPOINT_MACHINE", "statuses:STAGE_MACHINE", "statuses:STAGE_RESOURCE_MACHINE"),
    counts="dashboard_counts",
    holds="holding",
)
