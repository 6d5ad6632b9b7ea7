/**
 * Layout of the create form of a pipeline run (the guide's sections). The
 * pipeline, the experiment and the run parameters are the form's own
 * controls (formAddons.tsx): the parameters come from the chosen pipeline.
 */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

/** Fields the run form's own controls set: hidden from the generated ones. */
export const RUN_ADDON_FIELDS = ['pipeline_name', 'experiment_id', 'experiment_name', 'experiment_description', 'parameters'];

/** Sections of the run's resources, shared with the schedule form (its runs get them). */
export const RUN_RESOURCE_SECTIONS: IFormHints['sections'] = [
  { id: 'resources', title: N_('Instance information'), fields: ['instance_type', 'instance_count', 'boot_storage_gb', 'backend'] },
  { id: 'storage', title: N_('Storage'), fields: ['nas'] },
  { id: 'additional', title: N_('Additional settings'), fields: ['cache', 'log_management', 'max_run_seconds'] }
];

export const RUN_RESOURCE_LABELS: IFormHints['labels'] = {
  instance_type: N_('Instance type'),
  instance_count: N_('Number of instances'),
  boot_storage_gb: N_('Boot storage size (GB)'),
  backend: N_('Backend'),
  nas: N_('NAS'),
  'nas[].mount_dir_name': N_('Mount directory name'),
  'nas[].nas_path': N_('NAS path'),
  cache: N_('Use cached task outputs'),
  log_management: N_('Log management'),
  max_run_seconds: N_('Maximum pipeline run time (seconds)')
};

export const RUN_RESOURCE_HELP: IFormHints['help'] = {
  'nas[].nas_path': N_('nas://{NAS ID}:/{path}'),
  cache: N_('A task run before with the same component and inputs reuses its outputs instead of running again.'),
  log_management: N_("Keep the run's log records (searchable in the run's Logs tab).")
};

export const PIPELINE_RUN_FORM: IFormHints = {
  schema: 'PipelineRunCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'pipeline', title: N_('Pipeline'), fields: [] },
    ...RUN_RESOURCE_SECTIONS
  ],
  labels: {
    name: N_('Pipeline run name'),
    description: N_('Pipeline run description'),
    ...RUN_RESOURCE_LABELS
  },
  help: { ...RUN_RESOURCE_HELP },
  hidden: [...RUN_ADDON_FIELDS]
};
