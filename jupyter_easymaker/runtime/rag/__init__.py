"""What runs inside the RAG ingestion job and query server: loaders, chunking, stores, embedding, retrieval."""
