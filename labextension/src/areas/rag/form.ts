/** Layout of the create form of a RAG (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const RAG_FORM: IFormHints = {
  schema: 'RagCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'resources', title: N_('RAG resource information'), fields: ['instance_type', 'instance_count', 'backend'] },
    { id: 'prompt', title: N_('Prompt'), fields: ['prompt_template'] },
    { id: 'data', title: N_('Ingestion data'), fields: ['data_path', 'chunking', 'vector_store'] },
    { id: 'search', title: N_('Retrieval settings'), fields: ['retrieval', 'embedding'] },
    { id: 'llm', title: N_('Answer generation'), fields: ['llm'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['max_ingestion_seconds', 'log_enabled'] }
  ],
  labels: {
    name: N_('RAG name'),
    description: N_('RAG description'),
    instance_type: N_('Instance type'),
    instance_count: N_('Number of instances'),
    prompt_template: N_('Prompt template'),
    backend: N_('Backend'),
    vector_store: N_('Vector store'),
    'vector_store.type': N_('Vector store type'),
    'vector_store.url': N_('Connection URL'),
    data_path: N_('Ingestion data path'),
    chunking: N_('Chunking'),
    'chunking.size': N_('Chunk size (characters)'),
    'chunking.overlap': N_('Chunk overlap (characters)'),
    retrieval: N_('Retrieval'),
    'retrieval.mode': N_('Retrieval mode'),
    'retrieval.top_k': N_('Passages per question (top-k)'),
    embedding: N_('Embedding model'),
    'embedding.model': N_('Embedding model'),
    'embedding.instance_type': N_('Embedding instance type'),
    'embedding.instance_count': N_('Number of embedding instances'),
    llm: N_('LLM'),
    'llm.type': N_('LLM type'),
    'llm.endpoint': N_('Endpoint'),
    'llm.base_url': N_('Base URL'),
    'llm.model': N_('Model name'),
    'llm.api_key': N_('API key'),
    'llm.instance_type': N_('LLM instance type'),
    'llm.instance_count': N_('Number of LLM instances'),
    'llm.max_tokens': N_('Maximum tokens of an answer'),
    'llm.temperature': N_('Temperature'),
    max_ingestion_seconds: N_('Maximum ingestion time (seconds)'),
    log_enabled: N_('Log management')
  },
  help: {
    name: N_('Use 1-50 letters, digits, - or _'),
    prompt_template: N_(
      'What the LLM is asked. {context} is replaced by the passages retrieved for the question, {question} by the question itself; both must appear once.'
    ),
    'vector_store.url': N_('postgresql://user:password@host:5432/database, a database with the pgvector extension. The password is stored encrypted and never shown again.'),
    data_path: N_('The folder of documents to ingest: a local path, nas://{id}:/{path} or obs://{endpoint}/{container}/{path}. .txt .md .csv .xls .xlsx up to 3 MB, .pdf .doc .docx .ppt .pptx up to 50 MB.'),
    'chunking.overlap': N_('Characters each chunk shares with the one before; less than the chunk size.'),
    'retrieval.mode': N_('hybrid: embeddings and keywords (BM25) fused; dense: embeddings only; bm25: keywords only.'),
    'embedding.model': N_('all-MiniLM-L6-v2 by default; or a sentence-transformers folder, or a registered model name.'),
    'llm.type': N_('endpoint: an endpoint of this product; external: an OpenAI-compatible API.'),
    'llm.endpoint': N_('An ACTIVE endpoint of this product that serves an OpenAI-compatible chat model.'),
    'llm.model': N_('External API: the model name it is sent; endpoint: the model of its default stage (its only one when empty).'),
    'llm.base_url': N_('An OpenAI-compatible API, e.g. https://api.openai.com/v1'),
    'llm.api_key': N_('Stored encrypted and never shown again.'),
    'vector_store.type': N_('faiss: embedded in the RAG (default); pgvector: a PostgreSQL database.')
  },
  variants: {
    faiss: N_('FAISS (embedded, default)'),
    pgvector: N_('PostgreSQL (pgvector)'),
    endpoint: N_('Endpoint of this product'),
    external: N_('External OpenAI-compatible API')
  },
  passwords: ['vector_store.url', 'llm.api_key'],
  textareas: { prompt_template: 8 },
  hidden: []
};
