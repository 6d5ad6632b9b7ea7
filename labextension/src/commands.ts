/** Command ids of the extension (kept apart so any module may import them). */
export namespace CommandIDs {
  /** args: { area: string } */
  export const openArea = 'easymaker:open-area';
  export const openDashboard = 'easymaker:open-dashboard';
  export const openExperiments = 'easymaker:open-experiments';
  export const openTrainings = 'easymaker:open-trainings';
  export const openTemplates = 'easymaker:open-templates';
  export const showSidebar = 'easymaker:show-sidebar';
  /** args: { copyFrom?: string } */
  export const createExperiment = 'easymaker:create-experiment';
  /** args: { copyFrom?: string, templateId?: string, experimentId?: string } */
  export const createTraining = 'easymaker:create-training';
  /** args: { copyFrom?: string, fromTraining?: string } */
  export const createTemplate = 'easymaker:create-template';
  /** args: { id: string, tab?: string } */
  export const openTraining = 'easymaker:open-training';
  /** args: { id: string } */
  export const openExperiment = 'easymaker:open-experiment';
  /** args: { id: string } */
  export const openTemplate = 'easymaker:open-template';
  /** args: { trainingId?: string, experimentId?: string } */
  export const openTensorBoard = 'easymaker:open-tensorboard';
  /** args: { path?: string } (default: the file browser's selection) */
  export const submitFile = 'easymaker:submit-file-as-training';
  export const refresh = 'easymaker:refresh';
}
