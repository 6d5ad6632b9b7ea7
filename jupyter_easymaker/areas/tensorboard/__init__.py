"""TensorBoard servers of trainings, experiments and tunings, proxied
through Jupyter."""
from jupyter_easymaker.core.area import Area

AREA = Area(
    name="tensorboard",
    service="service:TensorBoardManager",
    reconciler="service:tensorboard_reconciler",
    client="client:TensorBoardClient",
    magics=True,
    always=True,  # servers of a crashed Jupyter server are found by their state files
    tables=False,
    capabilities="service:server_capabilities",
    requires=("experiments", "trainings", "tuning"),
)
