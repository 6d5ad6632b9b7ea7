"""Images: the guide's base images (notebook and training, CPU and GPU, Python /
PyTorch / TensorFlow) and private images pulled with a registry account; on
the local backend an image also names the Python environment its jobs run in."""
from jupyter_easymaker.core.area import Area, Guard

AREA = Area(
    name="images",
    capability="images",
    service="service:ImageService",
    client="client:ImagesClient",
    magics=True,
    requires=("registry_accounts",),
    guards=(
        Guard("registry account", "images", "names_for_account"),
        Guard("registry account credentials", "trainings or tunings", "running_work_for_account"),
    ),
    machines=("statuses:IMAGE_MACHINE",),
)
