/** Command ids of the extension: the only place they are written (any module may import them). */
export namespace CommandIDs {
  /** args: { area: string } */
  export const openArea = 'easymaker:open-area';
  export const openDashboard = 'easymaker:open-dashboard';
  export const openLogs = 'easymaker:open-logs';
  // notebooks
  export const openNotebooks = 'easymaker:open-notebooks';
  export const createNotebook = 'easymaker:create-notebook';
  /** args: { id: string, tab?: string } */
  export const openNotebook = 'easymaker:open-notebook';
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
  /** args: { trainingId?: string, experimentId?: string, tuningId?: string } */
  export const openTensorBoard = 'easymaker:open-tensorboard';
  /** args: { path?: string } (default: the file browser's selection) */
  export const submitFile = 'easymaker:submit-file-as-training';
  export const refresh = 'easymaker:refresh';
  // hyperparameter tuning
  export const openTunings = 'easymaker:open-hyperparameter-tunings';
  /** args: { copyFrom?: string, templateId?: string, experimentId?: string } */
  export const createTuning = 'easymaker:create-hyperparameter-tuning';
  /** args: { id: string, tab?: string } */
  export const openTuning = 'easymaker:open-hyperparameter-tuning';
  // models
  export const openModels = 'easymaker:open-models';
  /** args: { copyFrom?: string, trainingId?: string, tuningId?: string } */
  export const createModel = 'easymaker:create-model';
  /** args: { id: string, tab?: string } */
  export const openModel = 'easymaker:open-model';
  // endpoints
  export const openEndpoints = 'easymaker:open-endpoints';
  /** args: { modelId?: string } */
  export const createEndpoint = 'easymaker:create-endpoint';
  /** args: { id: string, stage?: string, tab?: string } */
  export const openEndpoint = 'easymaker:open-endpoint';
  /** args: { endpoint: string, instance_type?: string, instance_count?: number } */
  export const createEndpointStage = 'easymaker:create-endpoint-stage';
  /** args: { endpoint: string, stage: string } */
  export const addStageResource = 'easymaker:add-stage-resource';
  // batch inference
  export const openBatchInferences = 'easymaker:open-batch-inferences';
  /** args: { copyFrom?: string, modelId?: string } */
  export const createBatchInference = 'easymaker:create-batch-inference';
  /** args: { id: string, tab?: string } */
  export const openBatchInference = 'easymaker:open-batch-inference';
  // model evaluation
  export const openEvaluations = 'easymaker:open-model-evaluations';
  /** args: { copyFrom?: string, modelId?: string } */
  export const createEvaluation = 'easymaker:create-model-evaluation';
  /** args: { id: string, tab?: string } */
  export const openEvaluation = 'easymaker:open-model-evaluation';
  /** args: { ids: string[] } */
  export const compareEvaluations = 'easymaker:compare-model-evaluations';
}
