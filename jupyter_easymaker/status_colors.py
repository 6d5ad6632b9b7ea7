"""Status -> badge colours, shared by the ipywidgets view and (through the
generated statusWords.ts) the labextension. Plain data with no imports, so
either side can read it cheaply. Which statuses are final comes from the
kinds' state machines, not from here."""

# background / foreground per status word of the guide
STATUS_COLORS = {
    # waiting for resources or the backend: grey-blue
    "CREATE REQUESTED": {"bg": "#78909c", "fg": "#ffffff"},
    "CREATE IN PROGRESS": {"bg": "#607d8b", "fg": "#ffffff"},
    "RUNNING": {"bg": "#1e88e5", "fg": "#ffffff"},
    "COMPLETE": {"bg": "#43a047", "fg": "#ffffff"},
    "FAIL TRAIN": {"bg": "#e53935", "fg": "#ffffff"},
    "CREATE FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "STOPPED": {"bg": "#fb8c00", "fg": "#ffffff"},
    "STOP IN PROGRESS": {"bg": "#ffb74d", "fg": "#3e2723"},
    # cleanup after the job ended: light shades of the final colour
    "COMPLETE IN PROGRESS": {"bg": "#c8e6c9", "fg": "#1b5e20"},
    "FAIL TRAIN IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    # experiments and templates
    "ACTIVE": {"bg": "#43a047", "fg": "#ffffff"},
    # hyperparameter tunings and their trials
    "FAIL HYPERPARAMETER TUNING": {"bg": "#e53935", "fg": "#ffffff"},
    "FAIL HYPERPARAMETER TUNING IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    "CREATED": {"bg": "#78909c", "fg": "#ffffff"},
    "SUCCEEDED": {"bg": "#43a047", "fg": "#ffffff"},
    "FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "METRICS_UNAVAILABLE": {"bg": "#ef6c00", "fg": "#ffffff"},
    "KILLED": {"bg": "#fb8c00", "fg": "#ffffff"},
    "EARLY_STOPPED": {"bg": "#8d6e63", "fg": "#ffffff"},
    # models, endpoints, stages and their resources
    "DELETE IN PROGRESS": {"bg": "#bdbdbd", "fg": "#212121"},
    "DELETE FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "UPDATE IN PROGRESS": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "UPDATE FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "DEPLOY IN PROGRESS": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "DEPLOY FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    # batch inferences and model evaluations
    "FAIL BATCH INFERENCE": {"bg": "#e53935", "fg": "#ffffff"},
    "FAIL BATCH INFERENCE IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    "FAIL MODEL EVALUATION": {"bg": "#e53935", "fg": "#ffffff"},
    "FAIL MODEL EVALUATION IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    "FAIL IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    # a RAG's API gateway stage
    "DEPLOYING": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "FAILURE": {"bg": "#e53935", "fg": "#ffffff"},
    # the LLM studio's models
    "TRAINED": {"bg": "#43a047", "fg": "#ffffff"},
    "TRAINING": {"bg": "#1e88e5", "fg": "#ffffff"},
    "TRAINING CANCELLED": {"bg": "#fb8c00", "fg": "#ffffff"},
    "ERROR": {"bg": "#e53935", "fg": "#ffffff"},
    # pipeline runs and schedules
    "FAIL PIPELINE RUN": {"bg": "#e53935", "fg": "#ffffff"},
    "FAIL PIPELINE RUN IN PROGRESS": {"bg": "#ffcdd2", "fg": "#b71c1c"},
    "ENABLED": {"bg": "#43a047", "fg": "#ffffff"},
    "ENABLED(EXPIRED)": {"bg": "#8d6e63", "fg": "#ffffff"},
    "DISABLED": {"bg": "#bdbdbd", "fg": "#212121"},
    # the jobs of a local pipeline run's tasks
    "PENDING": {"bg": "#bdbdbd", "fg": "#212121"},
    "STARTING": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "STOPPING": {"bg": "#ffe0b2", "fg": "#e65100"},
    "CANCELED": {"bg": "#fb8c00", "fg": "#ffffff"},
    # notebooks
    "ACTIVE (HEALTHY)": {"bg": "#43a047", "fg": "#ffffff"},
    "ACTIVE (UNHEALTHY)": {"bg": "#ef6c00", "fg": "#ffffff"},
    "START IN PROGRESS": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "REBOOT IN PROGRESS": {"bg": "#64b5f6", "fg": "#0d47a1"},
    "STOP FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "START FAILED": {"bg": "#e53935", "fg": "#ffffff"},
    "REBOOT FAILED": {"bg": "#e53935", "fg": "#ffffff"},
}

DEFAULT_COLOR = {"bg": "#9e9e9e", "fg": "#ffffff"}
