"""Tables of the LLM studio: models (base and fine-tuned; a fine-tuning is the
fine-tuned model's row run as a job) and prompt templates (revision 0007)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jupyter_easymaker.core.tables import (
    Base,
    JobColumns,
    ResourceColumns,
    UTCDateTime,
    utcnow,
)


class LlmModel(JobColumns, ResourceColumns, Base):
    __tablename__ = "llm_models"

    type: Mapped[str] = mapped_column(String(16), default="base")  # base | fine-tuned
    kind: Mapped[str] = mapped_column(String(16), default="instruction")  # foundation | instruction | embedding | safety
    format: Mapped[str] = mapped_column(String(16), default="huggingface")  # huggingface | gguf
    # {path?, hf_id?, revision?}: where the weights are (never the token)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    token: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # a Hugging Face token, encrypted
    context_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    base_model_id: Mapped[str | None] = mapped_column(ForeignKey("llm_models.id"), nullable=True, index=True)
    finetune: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # {instance_type, keep_alive_seconds, loaded_at, last_used_at}: what a load asked for
    loaded: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    server_handle: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)


class LlmPromptTemplate(Base):
    __tablename__ = "llm_prompt_templates"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    template: Mapped[str] = mapped_column(Text, default="")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
