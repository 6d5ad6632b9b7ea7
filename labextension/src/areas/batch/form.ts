/** Layout of the create form of a batch inference (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const BATCH_FORM: IFormHints = {
  schema: 'BatchInferenceCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'model', title: N_('Model information'), fields: ['model_id'] },
    { id: 'resources', title: N_('Batch inference resource information'), fields: ['instance_type', 'instance_count', 'pod_count', 'backend'] },
    { id: 'input', title: N_('Input data'), fields: ['input_path', 'input_format', 'include_glob', 'exclude_glob'] },
    { id: 'output', title: N_('Output data'), fields: ['output_path'] },
    { id: 'additional', title: N_('Additional settings'), fields: ['batch_size', 'timeout_seconds', 'data_storage_gb', 'max_run_seconds', 'log_enabled'] }
  ],
  labels: {
    name: N_('Batch inference name'),
    description: N_('Batch inference description'),
    model_id: N_('Model'),
    instance_type: N_('Instance type'),
    instance_count: N_('Number of instances'),
    pod_count: N_('Number of pods'),
    input_path: N_('Input data path'),
    input_format: N_('Input data type'),
    include_glob: N_('Include glob'),
    exclude_glob: N_('Exclude glob'),
    output_path: N_('Output data path'),
    batch_size: N_('Batch size'),
    timeout_seconds: N_('Inference timeout (seconds)'),
    data_storage_gb: N_('Data storage size (GB)'),
    max_run_seconds: N_('Maximum batch inference time (seconds)'),
    log_enabled: N_('Log management'),
    backend: N_('Backend')
  },
  help: {
    input_format: N_('JSON: each file is one JSON value (a list is a list of records); JSONL: one record per line.'),
    exclude_glob: N_('Files matching an exclude pattern are left out even when an include pattern matches.')
  },
  hidden: ['input_records']
};
