/**
 * Command ids of the RAG area (its own module: the list, the detail and the
 * area module all name them without importing one another).
 */
export namespace RagCommandIDs {
  export const openRags = 'easymaker:open-rags';
  /** args: {} */
  export const createRag = 'easymaker:create-rag';
  /** args: { id: string, tab?: string } */
  export const openRag = 'easymaker:open-rag';
}
