/**
 * Command ids of the pipelines area (its own module: the lists, the detail
 * tabs and the area module all name them without importing one another).
 */
export namespace PipelineCommandIDs {
  export const openPipelines = 'easymaker:open-pipelines';
  /** args: {} (the upload dialog) */
  export const uploadPipeline = 'easymaker:upload-pipeline';
  /** args: { id: string, tab?: string } */
  export const openPipeline = 'easymaker:open-pipeline';
  /** args: { pipeline?: string (name or id), copyFrom?: string (a run's id) } */
  export const createPipelineRun = 'easymaker:create-pipeline-run';
  /** args: { id: string, tab?: string } */
  export const openPipelineRun = 'easymaker:open-pipeline-run';
}
