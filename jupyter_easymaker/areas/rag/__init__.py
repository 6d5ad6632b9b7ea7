"""RAG: documents ingested into a vector store, and questions answered by an
LLM from the passages retrieved (the guide's RAG section)."""
from jupyter_easymaker.core.area import Area, Guard, Work

AREA = Area(
    name="rag",
    capability="rag",
    service="service:RagService",
    reconciler="reconciler:RagReconciler",
    client="client:RagClient",
    magics=True,
    requires=("models", "endpoints"),
    guards=(Guard("model", "RAGs", "count_for_model"),),
    work=(Work("rags", "statuses:RAG_WATCHED"), Work("rag_ingestions", "statuses:INGESTION_ACTIVE")),
    machines=("statuses:RAG_MACHINE", "statuses:INGESTION_MACHINE"),
    holds="holding",
)
