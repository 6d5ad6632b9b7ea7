"""RAG: the guide's create form, the answers, and the question API's body."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from jupyter_easymaker.core.schemas import (
    Description,
    Name,
    ResourceOut,
    StatusEventOut,
    StrictModel,
)

DEFAULT_PROMPT_TEMPLATE = """You are a helpful assistant that answers questions using only the documents below.
If the documents do not contain the answer, say that you do not know.
Cite the sources you used by their number, like [1].

Documents:
{context}

Question: {question}
Answer:"""

PROMPT_VARIABLES = ("context", "question")
RETRIEVAL_MODES = ("hybrid", "dense", "bm25")
DEFAULT_EMBEDDING_MODEL = "all-MiniLM-L6-v2"


class FaissStoreSpec(StrictModel):
    type: Literal["faiss"] = Field("faiss", description="embedded faiss, kept in the RAG's folder (no server needed)")


class PgvectorStoreSpec(StrictModel):
    type: Literal["pgvector"]
    url: str = Field(..., min_length=1, max_length=1000, description="postgresql://user:password@host:port/database "
                                                                     "(the password is stored encrypted and never shown)")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        return value


VectorStoreSpec = Annotated[FaissStoreSpec | PgvectorStoreSpec, Field(discriminator="type")]


class ChunkingSpec(StrictModel):
    size: int = Field(800, ge=50, le=20_000, description="characters per chunk")
    overlap: int = Field(100, ge=0, le=10_000, description="characters a chunk repeats of the one before")

    @model_validator(mode="after")
    def _overlap(self) -> ChunkingSpec:
        if self.overlap >= self.size:
            raise ValueError("overlap must be smaller than size")
        return self


class RetrievalSpec(StrictModel):
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="hybrid fuses dense and BM25 rankings")
    top_k: int = Field(5, ge=1, le=100, description="passages given to the LLM (and returned as sources)")


class EmbeddingSpec(StrictModel):
    model: str = Field(DEFAULT_EMBEDDING_MODEL, min_length=1, max_length=1000,
                       description="all-MiniLM-L6-v2 (shipped), a sentence-transformers folder, or a registered model")
    instance_type: str | None = None
    instance_count: int = Field(1, ge=1, le=10)


class LlmOptions(StrictModel):
    instance_type: str | None = None
    instance_count: int = Field(1, ge=1, le=10)
    max_tokens: int = Field(512, ge=1, le=32_768)
    temperature: float = Field(0.2, ge=0.0, le=2.0)


class EndpointLlmSpec(LlmOptions):
    type: Literal["endpoint"]
    endpoint: str = Field(..., min_length=1, max_length=50, description="an endpoint of this server (name or id): its default stage answers")
    model: str | None = Field(None, max_length=200, description="the model of the stage (default: its only one)")


class ExternalLlmSpec(LlmOptions):
    type: Literal["external"]
    base_url: str = Field(..., min_length=1, max_length=1000, description="an OpenAI-compatible API, e.g. https://api.openai.com/v1")
    model: str = Field(..., min_length=1, max_length=200, description="the model name sent to the API")
    api_key: str | None = Field(None, max_length=1000, description="stored encrypted, never shown")

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class ModelLlmSpec(LlmOptions):
    type: Literal["model"]
    model: str = Field(..., min_length=1, max_length=50, description="a registered text-generation model (name or id): "
                                                                    "the RAG serves it itself, on instance_type x instance_count")


LlmSpec = Annotated[EndpointLlmSpec | ExternalLlmSpec | ModelLlmSpec, Field(discriminator="type")]


def check_prompt_template(value: str) -> str:
    """The template must name both variables; other braces must be doubled."""
    import string

    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    missing = [v for v in PROMPT_VARIABLES if v not in names]
    unknown = sorted(names - set(PROMPT_VARIABLES))
    if missing:
        raise ValueError(f"the template must contain {', '.join('{' + m + '}' for m in missing)}")
    if unknown:
        raise ValueError(f"unknown variable(s) {', '.join('{' + u + '}' for u in unknown)}: only {{context}} and {{question}}")
    return value


class RagCreate(StrictModel):
    name: str = Name
    description: str = Description
    instance_type: str | None = Field(None, description="the query server's instance type")
    instance_count: int = Field(1, ge=1, le=10, description="query server instances")
    prompt_template: str = Field(DEFAULT_PROMPT_TEMPLATE, min_length=1, max_length=20_000)
    vector_store: VectorStoreSpec = Field(default_factory=FaissStoreSpec)
    data_path: str = Field(..., min_length=1, max_length=1000, description="documents: local path, nas://{id}:/{path} or obs://")
    chunking: ChunkingSpec = Field(default_factory=ChunkingSpec)
    retrieval: RetrievalSpec = Field(default_factory=RetrievalSpec)
    embedding: EmbeddingSpec = Field(default_factory=EmbeddingSpec)
    llm: LlmSpec
    log_enabled: bool = True
    backend: Literal["local", "kubernetes"] | None = None
    max_ingestion_seconds: int | None = Field(None, ge=1, le=30 * 24 * 3600)

    _template = field_validator("prompt_template")(classmethod(lambda cls, v: check_prompt_template(v)))


class RagUpdate(StrictModel):
    description: str | None = Field(None, max_length=255)
    prompt_template: str | None = Field(None, min_length=1, max_length=20_000)
    retrieval: RetrievalSpec | None = None
    chunking: ChunkingSpec | None = Field(None, description="applies from the next sync (which then re-embeds everything)")
    log_enabled: bool | None = None

    @field_validator("prompt_template")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        return None if value is None else check_prompt_template(value)


class RetrieveBody(StrictModel):
    query: str = Field(..., min_length=1, max_length=10_000)
    top_k: int | None = Field(None, ge=1, le=100)
    mode: Literal["hybrid", "dense", "bm25"] | None = None


class AskBody(StrictModel):
    question: str | None = Field(None, min_length=1, max_length=10_000, description="one question (or messages)")
    messages: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=100, description="a conversation ending with the question")
    top_k: int | None = Field(None, ge=1, le=100)
    retrieval_mode: Literal["hybrid", "dense", "bm25"] | None = None
    max_tokens: int | None = Field(None, ge=1, le=32_768)
    temperature: float | None = Field(None, ge=0.0, le=2.0)

    @model_validator(mode="after")
    def _one(self) -> AskBody:
        if (self.question is None) == (self.messages is None):
            raise ValueError("give either question or messages")
        return self


class ApiKeyCreate(StrictModel):
    name: str = Field("", max_length=50)


# -- answers ------------------------------------------------------------------------
class SourceOut(BaseModel):
    file: str
    chunk: int
    score: float
    text: str


class RetrieveOut(BaseModel):
    mode: str
    top_k: int
    took_ms: float
    generation: int | None
    sources: list[SourceOut]


class IngestionProgressOut(BaseModel):
    files_done: int = 0
    files_total: int | None = None
    chunks: int = 0
    chunks_embedded: int = 0
    percent: float | None = None


class IngestionOut(ResourceOut):
    rag_id: str
    trigger: str
    requested_by: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed_seconds: float | None = None
    progress: IngestionProgressOut
    result: dict[str, Any]
    backend: str


class IngestionFileOut(BaseModel):
    path: str
    outcome: str
    reason_code: str
    reason: str
    size_bytes: int
    chunks: int


class VectorStoreOut(BaseModel):
    type: str
    url: str | None = None
    password_set: bool = False


class LlmOut(BaseModel):
    type: str
    endpoint: str | None = None
    model: str | None = None
    base_url: str | None = None
    api_key_set: bool = False
    instance_type: str | None = None
    instance_count: int = 1
    max_tokens: int
    temperature: float


class RagOut(ResourceOut):
    gateway_status: str | None
    instance_type: str
    instance_count: int
    prompt_template: str
    default_prompt_template: str = DEFAULT_PROMPT_TEMPLATE
    vector_store: VectorStoreOut
    data_path: str
    chunking: ChunkingSpec
    retrieval: RetrievalSpec
    embedding: dict[str, Any]
    llm: LlmOut
    log_enabled: bool
    backend: str
    query_url: str
    openai_base_url: str
    files: int
    chunks: int
    live_generation: int | None
    last_ingestion: IngestionOut | None = None
    history: list[StatusEventOut] | None = None


class StatsPointOut(BaseModel):
    time: datetime
    calls: int
    success: int
    failure: int
    latency_ms: dict[str, float | None]


class RagStatsOut(BaseModel):
    rag_id: str
    since: datetime
    until: datetime
    interval: int
    totals: StatsPointOut
    points: list[StatsPointOut]


class ApiKeyOut(BaseModel):
    id: str
    rag_id: str
    name: str
    masked: str
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    key: str | None = Field(None, description="the key itself: only in the answer that created it")
