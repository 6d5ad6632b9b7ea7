"""Model files (Open WebUI's "Workspace > Models"): a custom model made of an
LLM studio base model, a name, an avatar, a system prompt, parameters, prompt
suggestions, knowledge (links to RAGs, whose retrieval it then uses), tool ids,
capabilities and tags; imported and exported in Open WebUI's own shape and
served by its id through an OpenAI-compatible API."""
from jupyter_easymaker.core.area import Area, Guard

AREA = Area(
    name="modelfiles",
    capability="modelfiles",
    service="service:ModelFileService",
    client="client:ModelFilesClient",
    magics=True,
    requires=("llm", "rag"),
    guards=(Guard("llm model", "model files", "count_for_base_model"),),
)
