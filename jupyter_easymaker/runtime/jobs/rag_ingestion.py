"""Job entry: RAG ingestion (see jupyter_easymaker.runtime.rag.ingest)."""
import sys

from jupyter_easymaker.runtime.rag.ingest import main

if __name__ == "__main__":
    sys.exit(main())
