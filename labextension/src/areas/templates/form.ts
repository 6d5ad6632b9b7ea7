/** Layout of the create form of a training template: the training's sections and labels. */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';
import { TRAINING_FORM, TRAINING_HELP, TRAINING_LABELS, TRAINING_SECTIONS } from '../trainings/form';

export const TEMPLATE_FORM: IFormHints = {
  schema: 'TemplateCreate',
  sections: TRAINING_SECTIONS,
  labels: { ...TRAINING_LABELS, name: N_('Template name'), description: N_('Template description') },
  help: TRAINING_HELP,
  hidden: ['algorithm.source_files'],
  variants: TRAINING_FORM.variants
};
