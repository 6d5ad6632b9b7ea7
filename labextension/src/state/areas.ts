/**
 * The areas of the sidebar, in the console guide's order. An area is shown
 * only when the server lists it in `capabilities.areas` (so each later
 * backend issue only adds its panel) and a panel is registered for it.
 */
import { N_ } from '../i18n';

export interface IAreaInfo {
  /** Equal to the server's capability string. */
  id: string;
  /** English label (a msgid of the translation catalog). */
  label: string;
  /** Other capability strings that also enable this area. */
  aliases?: string[];
}

export const AREAS: readonly IAreaInfo[] = [
  { id: 'dashboard', label: N_('Dashboard') },
  { id: 'experiments', label: N_('Experiments') },
  { id: 'trainings', label: N_('Trainings') },
  { id: 'hyperparameter-tuning', label: N_('Hyperparameter tuning'), aliases: ['hyperparameter-tunings', 'hpo'] },
  { id: 'training-templates', label: N_('Templates'), aliases: ['templates'] },
  { id: 'models', label: N_('Models') },
  { id: 'model-evaluations', label: N_('Model evaluation'), aliases: ['model-evaluation'] },
  { id: 'endpoints', label: N_('Endpoints') },
  { id: 'batch-inferences', label: N_('Batch inference'), aliases: ['batch-inference'] },
  { id: 'pipelines', label: N_('Pipelines') },
  { id: 'rag', label: N_('RAG'), aliases: ['rags'] },
  { id: 'llm-studio', label: N_('LLM studio'), aliases: ['llm'] },
  { id: 'images', label: N_('Images') }
];

/** The area id an alias stands for (`templates` -> `training-templates`). */
export function canonicalArea(id: string): string {
  return AREAS.find(a => a.id === id || (a.aliases ?? []).includes(id))?.id ?? id;
}

/** The areas to list: offered by the server and with a panel in this extension. */
export function visibleAreas(
  serverAreas: readonly string[] | undefined,
  hasPanel: (id: string) => boolean
): IAreaInfo[] {
  if (!serverAreas) {
    return [];
  }
  const offered = new Set(serverAreas);
  return AREAS.filter(a => (offered.has(a.id) || (a.aliases ?? []).some(x => offered.has(x))) && hasPanel(a.id));
}
