"""What the server and the code inside jobs and model servers both read.

The built-in algorithms (:mod:`.algorithms`), the model frameworks and their
parameters (:mod:`.frameworks`), the file layout each framework's artifact
must have (:mod:`.artifacts`), where the platform's own jobs live and what
they print (:mod:`.jobs`), the input and output files of batch inference
(:mod:`.batch_files`), the names of the evaluation metrics
(:mod:`.evaluation`) and how the Kubernetes API is called (:mod:`.kube_calls`).

Standard library only, and nothing of the server or the runtime: the server
imports these modules at start-up, the runtime inside every job.
"""
