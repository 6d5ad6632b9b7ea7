"""Notebooks: Jupyter servers of their own (image, instance type, boot and
data storage, an optional NAS), opened through this server's proxy."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="notebooks",
    capability="notebooks",
    service="service:NotebookService",
    reconciler="reconciler:NotebookReconciler",
    client="client:NotebooksClient",
    magics=True,
    requires=("images",),
    guards=(Guard("image in use", "notebooks", "running_with_image"),),
    work=(Work("notebooks"),),  # a running notebook is health-checked and sampled
    machines=("statuses:NOTEBOOK_MACHINE",),
    counts="dashboard_counts",
    holds="holding",
)
