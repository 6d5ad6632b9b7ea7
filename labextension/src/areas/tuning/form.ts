/** Layout of the create form of a hyperparameter tuning: the training's sections and the guide's tuning sections. */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';
import { TRAINING_HELP, TRAINING_LABELS, TRAINING_SECTIONS } from '../trainings/form';

export const TUNING_FORM: IFormHints = {
  schema: 'HyperparameterTuningCreate',
  sections: [
    ...TRAINING_SECTIONS.filter(s => s.id !== 'additional'),
    {
      id: 'tuning',
      title: N_('Tuning'),
      fields: ['strategy', 'random_seed', 'parameters', 'metrics', 'objective_metric', 'goal', 'target_value', 'objective_strategy']
    },
    { id: 'trials', title: N_('Trials'), fields: ['max_trials', 'max_failed_trials', 'parallel_trials', 'early_stopping'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['data_storage_gb', 'max_run_seconds', 'log_enabled'] }
  ],
  labels: {
    ...TRAINING_LABELS,
    name: N_('Hyperparameter tuning name'),
    description: N_('Hyperparameter tuning description'),
    strategy: N_('Strategy'),
    random_seed: N_('Random seed'),
    parameters: N_('Hyperparameter spec'),
    metrics: N_('Metrics'),
    objective_metric: N_('Objective metric'),
    goal: N_('Goal'),
    target_value: N_('Target value'),
    max_trials: N_('Maximum trials'),
    max_failed_trials: N_('Maximum failed trials'),
    parallel_trials: N_('Parallel trials'),
    early_stopping: N_('Early stopping')
  },
  help: TRAINING_HELP,
  hidden: ['experiment_id', 'experiment_name', 'template_id', 'algorithm.source_files', 'hyperparameters_fixed'],
  variants: { custom: N_('Own algorithm'), builtin: N_('Built-in algorithm') }
};
