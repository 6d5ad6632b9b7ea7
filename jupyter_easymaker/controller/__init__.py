"""Long-running work: the reconcile loop that drives jobs on the backends."""
