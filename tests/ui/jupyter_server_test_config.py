"""Jupyter server of the galata UI tests: JupyterLab with jupyter_easymaker
behind a non-default base_url, on a throw-away root and data dir.

The specs find the root and data dir in the JSON file named by
EASYMAKER_UI_STATE (default: tests/ui/.server-state.json).
"""
import atexit
import json
import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

HERE = Path(__file__).resolve().parent
port = int(os.environ.get("EASYMAKER_UI_PORT", "8899"))
base_url = os.environ.get("EASYMAKER_UI_BASE_URL", "/easymaker-ui/")

# Under pytest (tests/test_ui_galata.py) the folders lie in the test's own folder: its fixture then
# stops the gateway, model servers and jobs recorded there, which outlive a Jupyter server by design,
# and pytest removes the folders. Run by hand, they are temporary and removed when the server exits.
owner = os.environ.get("EASYMAKER_UI_TMP")
root = Path(tempfile.mkdtemp(prefix="easymaker-ui-root-", dir=owner))
data = Path(tempfile.mkdtemp(prefix="easymaker-ui-data-", dir=owner))
if not owner:
    for path in (root, data):
        atexit.register(shutil.rmtree, path, ignore_errors=True)
(root / "algo").mkdir()
shutil.copy(HERE / "fixtures" / "train.py", root / "algo" / "train.py")
(root / "work").mkdir()
shutil.copy(HERE / "fixtures" / "train.py", root / "work" / "submit_me.py")

c.ServerApp.port = port  # noqa: F821
c.ServerApp.base_url = base_url  # noqa: F821
c.ServerApp.root_dir = str(root)  # noqa: F821
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.jpserver_extensions = {"jupyter_easymaker": True}  # noqa: F821
c.LabApp.news_url = None  # noqa: F821
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"  # noqa: F821
c.EasyMakerExtension.data_dir = str(data)  # noqa: F821
c.EasyMakerExtension.controller_interval = 0.2  # noqa: F821
c.EasyMakerExtension.stop_grace_seconds = 2.0  # noqa: F821
c.EasyMakerExtension.local_cpu = 64.0  # noqa: F821
c.EasyMakerExtension.local_memory_mib = 1 << 20  # noqa: F821

# Serve this checkout's build of the labextension (jupyter_easymaker/labextension),
# ahead of whatever copy the environment's share/jupyter/labextensions holds:
# extra_labextensions_path comes first when JupyterLab looks an extension up.
built = HERE.parent.parent / "jupyter_easymaker" / "labextension"
extra = [c.LabServerApp.extra_labextensions_path]  # noqa: F821 - galata's helper extension
if isinstance(extra[0], list):
    extra = list(extra[0])
if (built / "package.json").exists():
    labext_dir = Path(tempfile.mkdtemp(prefix="easymaker-ui-labext-"))
    atexit.register(shutil.rmtree, labext_dir, ignore_errors=True)
    shutil.copytree(built, labext_dir / "jupyter-easymaker")
    extra.append(str(labext_dir))
c.LabServerApp.extra_labextensions_path = [str(p) for p in extra]  # noqa: F821

state = Path(os.environ.get("EASYMAKER_UI_STATE", HERE / ".server-state.json"))
state.write_text(json.dumps({"root": str(root), "data": str(data), "base_url": base_url, "port": port}))
