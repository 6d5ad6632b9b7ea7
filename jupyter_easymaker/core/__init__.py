"""What every area shares: the store base, resources and errors, events,
logs and metrics, the HTTP handler base, the reconcile loop, the job
lifecycle and the ``Area`` record."""
