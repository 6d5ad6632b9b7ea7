"""LLM studio: one state machine for every model (the seed's five statuses)
and a fine-tuning's view of it on the shared job lifecycle."""
from __future__ import annotations

from jupyter_easymaker.core.jobs import job_statuses
from jupyter_easymaker.core.state_machine import _machine


class LlmModelStatus:
    RUNNING = "RUNNING"
    TRAINED = "TRAINED"
    TRAINING = "TRAINING"
    TRAINING_CANCELLED = "TRAINING CANCELLED"
    ERROR = "ERROR"


S = LlmModelStatus

STATUS_LABELS_KO = {
    S.RUNNING: "실행 중",
    S.TRAINED: "학습 완료",
    S.TRAINING: "학습 중",
    S.TRAINING_CANCELLED: "학습 취소",
    S.ERROR: "오류",
}

LLM_MODEL_MACHINE = _machine(
    "llm model",
    S.TRAINED,
    {
        S.TRAINED: {S.RUNNING},  # load
        S.RUNNING: {S.TRAINED, S.ERROR},  # unload / keep-alive expiry; the server failed
        S.TRAINING: {S.TRAINED, S.ERROR, S.TRAINING_CANCELLED},
        S.TRAINING_CANCELLED: {S.TRAINING},  # restart from the checkpoint
        S.ERROR: {S.TRAINING, S.RUNNING},  # restart of a failed fine-tuning; load again
    },
    deletable={S.TRAINED, S.TRAINING_CANCELLED, S.ERROR},
    words=LlmModelStatus,
    settled={S.RUNNING, S.TRAINED, S.TRAINING_CANCELLED, S.ERROR},
)

# a fine-tuning: every phase before the end is TRAINING; a stop is a flag of the row (spec.stop_requested)
FINETUNE_JOB = job_statuses(
    LLM_MODEL_MACHINE,
    waiting=S.TRAINING, submitted=S.TRAINING, running=S.TRAINING, stopping=None,
    succeeded=(S.TRAINED,), failed=(S.ERROR,), stopped=(S.TRAINING_CANCELLED,), not_started=(S.ERROR,),
    time_limit="maximum fine-tuning time",
)

FINETUNE_ACTIVE = FINETUNE_JOB.active  # {TRAINING}
# statuses in which the controller has work: a fine-tuning to drive, a loaded model's server to follow
LLM_WATCHED = frozenset({S.TRAINING, S.RUNNING})

# what each status allows (the panel's buttons; the API refuses the rest)
ACTIONS = {
    S.RUNNING: ("unload", "chat"),
    S.TRAINED: ("load", "delete"),
    S.TRAINING: ("stop",),
    S.TRAINING_CANCELLED: ("restart", "delete"),
    S.ERROR: ("load", "delete"),
}

KINDS = ("foundation", "instruction", "embedding", "safety")
FORMATS = ("huggingface", "gguf")
NOT_CHAT_KINDS = ("embedding", "safety")
