/** Command ids of the LLM studio area (its own module: list, detail and area name them without importing one another). */
export namespace LlmCommandIDs {
  export const openModels = 'easymaker:open-llm-studio';
  /** args: {} */
  export const registerModel = 'easymaker:register-llm-model';
  /** args: { base_model?: string, copyFrom?: string } */
  export const createFinetuning = 'easymaker:create-llm-finetuning';
  /** args: { id: string, tab?: string } */
  export const openModel = 'easymaker:open-llm-model';
  /** args: { model?: string } */
  export const openPlayground = 'easymaker:open-llm-playground';
  /** args: {} */
  export const openTemplates = 'easymaker:open-llm-prompt-templates';
}
