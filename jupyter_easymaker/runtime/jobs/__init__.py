"""Entry scripts of the jobs the platform runs itself (batch inference, model
evaluation): two lines each, calling their runtime module. Where they are
and what they print for the server: :mod:`jupyter_easymaker.catalogs.jobs`."""
