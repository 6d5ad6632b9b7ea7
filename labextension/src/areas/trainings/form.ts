/** Layout of the create form of a training (the guide's sections); templates and tunings reuse its labels. */
import type { IFormHints, IFormSectionHint } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const TRAINING_LABELS: { [path: string]: string } = {
  name: N_('Training name'),
  description: N_('Training description'),
  algorithm: N_('Algorithm type'),
  'algorithm.source_dir': N_('Algorithm path'),
  'algorithm.entry_point': N_('Entry point'),
  'algorithm.name': N_('Algorithm'),
  hyperparameters: N_('Hyperparameters'),
  image: N_('Image'),
  instance_type: N_('Training instance type'),
  nodes: N_('Number of distributed nodes'),
  use_torchrun: N_('Use torchrun'),
  nproc_per_node: N_('Number of processes per node'),
  datasets: N_('Datasets'),
  'datasets[]': N_('Dataset'),
  'datasets[].name': N_('Dataset name'),
  'datasets[].path': N_('Data path'),
  checkpoint_input_path: N_('Checkpoint (input)'),
  output_path: N_('Output data'),
  checkpoint_path: N_('Checkpoint (output)'),
  data_storage_gb: N_('Data storage size (GB)'),
  max_run_seconds: N_('Maximum training time (seconds)'),
  log_enabled: N_('Log management'),
  backend: N_('Backend')
};

export const TRAINING_HELP: { [path: string]: string } = {
  name: N_('Use 1-50 letters, digits, - or _'),
  'algorithm.source_dir': N_('A directory: local path, file://, nas://{NAS ID}:/{path} or obs://{endpoint}/{container}/{path}.'),
  'algorithm.entry_point': N_('File in the algorithm path where training starts; a requirements.txt next to it is installed.'),
  hyperparameters: N_('Passed to the entry point as --key value arguments and as EM_HP_{KEY} variables (up to 100).'),
  nproc_per_node: N_('Used with torchrun: processes started on each node.'),
  'datasets[].path': N_('Directory of the data set; the job finds it in EM_DATASET_{NAME}.'),
  max_run_seconds: N_('The training is ended when it runs longer than this.'),
  log_enabled: N_('Keep the job output as searchable structured logs.')
};

export const TRAINING_SECTIONS: IFormSectionHint[] = [
  { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
  { id: 'algorithm', title: N_('Algorithm information'), fields: ['algorithm', 'hyperparameters'] },
  { id: 'image', title: N_('Image'), fields: ['image'] },
  { id: 'resources', title: N_('Training resource information'), fields: ['instance_type', 'backend', 'nodes', 'use_torchrun', 'nproc_per_node'] },
  { id: 'input', title: N_('Input data'), fields: ['datasets', 'checkpoint_input_path'] },
  { id: 'output', title: N_('Output data'), fields: ['output_path', 'checkpoint_path'] },
  { id: 'additional', title: N_('Additional settings'), fields: ['data_storage_gb', 'max_run_seconds', 'log_enabled'] }
];

export const TRAINING_FORM: IFormHints = {
  schema: 'TrainingCreate',
  sections: TRAINING_SECTIONS,
  labels: TRAINING_LABELS,
  help: TRAINING_HELP,
  hidden: ['experiment_id', 'experiment_name', 'template_id', 'algorithm.source_files'],
  variants: { custom: N_('Own algorithm'), builtin: N_('Built-in algorithm') }
};
