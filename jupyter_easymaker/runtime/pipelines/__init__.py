"""The product's executor of compiled Kubeflow pipelines (KFP v2 IR), run inside a
pipeline-run job (entry: ``runtime/jobs/pipeline_run.py`` -> ``executor.main``).
It never imports the server side, nor kfp: lightweight Python components run
``python -m kfp.dsl.executor_main`` in their own process.

Modules: ``spec`` (reading the IR), ``resolve`` (inputs, executor input,
placeholders), ``conditions`` (the CEL subset of trigger policies), ``tasks``
(a task's attempts, retries, outputs, the cache), ``launch`` (what starts an
attempt: ``local_tasks`` local processes, ``kube_tasks`` one Kubernetes Job
each), ``journal`` (task states, restart safety, progress lines), ``executor``
(the DAG walk and ``main``)."""
