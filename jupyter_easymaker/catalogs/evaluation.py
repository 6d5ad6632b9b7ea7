"""What a model evaluation's metrics job computes and where it writes it: the
headline metrics of each task, whether larger is better (the compare view
marks the best), the result file and the guide's limit on classes."""
from __future__ import annotations

RESULT_FILE = "metrics.json"
MAX_CLASSES = 50  # the guide: at most 50 classes in a classification evaluation
GOALS = {
    "pr_auc": "maximize", "roc_auc": "maximize", "log_loss": "minimize", "f1": "maximize", "precision": "maximize",
    "recall": "maximize", "accuracy": "maximize",
    "mae": "minimize", "mape": "minimize", "r2": "maximize", "rmse": "minimize", "rmsle": "minimize",
}
CLASSIFICATION_METRICS = ("pr_auc", "roc_auc", "log_loss", "f1", "precision", "recall", "accuracy")
REGRESSION_METRICS = ("mae", "mape", "r2", "rmse", "rmsle")
