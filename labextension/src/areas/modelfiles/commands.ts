/** Command ids of the model files area. */
export namespace ModelFileCommandIDs {
  export const openModelFiles = 'easymaker:open-model-files';
  /** args: { copyFrom?: string } */
  export const createModelFile = 'easymaker:create-model-file';
  /** args: { id: string } */
  export const editModelFile = 'easymaker:edit-model-file';
  /** args: { model?: string } */
  export const openChat = 'easymaker:open-model-files-chat';
}
