"""LLM studio: base models (Hugging Face folders and GGUF files), LoRA/QLoRA
fine-tunings on the shared job lifecycle (stop and resume from a
checkpoint), load/unload on the serving backends with a keep-alive, prompt
templates, and an OpenAI-compatible API over the loaded models."""
from jupyter_easymaker.core.area import Area, Work

AREA = Area(
    name="llm",
    capability="llm",
    service="service:LlmService",
    reconciler="reconciler:LlmReconciler",
    client="client:LlmClient",
    magics=True,
    work=(Work("llm_models", "statuses:LLM_WATCHED"),),
    machines=("statuses:LLM_MODEL_MACHINE",),
    holds="holding",
)
