"""The built-in training algorithms' scripts, run by the launcher like any
user's entry point. Their registry (names, hyperparameters, metrics,
datasets) is :mod:`jupyter_easymaker.catalogs.algorithms`."""
