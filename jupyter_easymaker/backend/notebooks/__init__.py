"""Notebook servers: a Jupyter server per notebook, as a local process
(``local.py``) or a Kubernetes StatefulSet (``kubernetes/notebook_manifests.py``)."""
