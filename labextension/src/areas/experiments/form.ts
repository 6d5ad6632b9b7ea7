/** Layout of the create form of an experiment (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const EXPERIMENT_FORM: IFormHints = {
  schema: 'ExperimentCreate',
  sections: [{ id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] }],
  labels: { name: N_('Experiment name'), description: N_('Experiment description') },
  help: { name: N_('Use 1-50 letters, digits, - or _') },
  hidden: []
};
