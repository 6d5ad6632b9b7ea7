/**
 * The one list of areas, in the console guide's order (the sidebar's). The
 * plugin iterates it: each area registers its panel, commands and create
 * forms and hands over its translations. Adding an area is one folder
 * (`areas/<family>/`) and one line here.
 */
import type { IArea } from '../shared/plugin/areaModule';
import { batchArea } from './batch/area';
import { dashboardArea } from './dashboard/area';
import { endpointsArea } from './endpoints/area';
import { evaluationsArea } from './evaluations/area';
import { experimentsArea } from './experiments/area';
import { imagesArea } from './images/area';
import { llmArea } from './llm/area';
import { logsArea } from './logs/area';
import { modelFilesArea } from './modelfiles/area';
import { modelsArea } from './models/area';
import { notebooksArea } from './notebooks/area';
import { pipelineSchedulesArea } from './pipelineSchedules/area';
import { pipelinesArea } from './pipelines/area';
import { ragArea } from './rag/area';
import { registryAccountsArea } from './registryAccounts/area';
import { templatesArea } from './templates/area';
import { tensorboardArea } from './tensorboard/area';
import { trainingsArea } from './trainings/area';
import { tuningArea } from './tuning/area';

export const AREAS: readonly IArea[] = [
  dashboardArea,
  notebooksArea,
  experimentsArea,
  trainingsArea,
  tuningArea,
  templatesArea,
  modelsArea,
  evaluationsArea,
  endpointsArea,
  batchArea,
  imagesArea,
  registryAccountsArea,
  pipelinesArea,
  pipelineSchedulesArea,
  ragArea,
  llmArea,
  modelFilesArea,
  tensorboardArea,
  logsArea
];
