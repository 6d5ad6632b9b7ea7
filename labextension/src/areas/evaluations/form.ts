/** Layout of the create form of a model evaluation (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const EVALUATION_FORM: IFormHints = {
  schema: 'ModelEvaluationCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'model', title: N_('Model information'), fields: ['model_id', 'task', 'class_names'] },
    { id: 'input', title: N_('Input data'), fields: ['input_path', 'input_format', 'target_field'] },
    { id: 'output', title: N_('Output data'), fields: ['output_path'] },
    { id: 'resources', title: N_('Resource information'), fields: ['instance_type', 'batch_inference', 'backend'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['max_run_seconds', 'log_enabled'] }
  ],
  labels: {
    name: N_('Model evaluation name'),
    description: N_('Model evaluation description'),
    model_id: N_('Model'),
    task: N_('Task'),
    class_names: N_('Class names'),
    input_path: N_('Input data path'),
    input_format: N_('Input data type'),
    target_field: N_('Target field'),
    output_path: N_('Output data path'),
    instance_type: N_('Instance type'),
    batch_inference: N_('Batch inference'),
    max_run_seconds: N_('Maximum evaluation time (seconds)'),
    log_enabled: N_('Log management'),
    backend: N_('Backend')
  },
  help: {
    class_names: N_('In class index order, at most 50. Empty with task regression.'),
    target_field: N_('The column (CSV) or key (JSONL) holding the ground truth.')
  },
  hidden: []
};
