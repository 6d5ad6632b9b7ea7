/** Layout of the create forms of an endpoint, a stage and a stage resource (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

const RESOURCE_LABELS: { [path: string]: string } = {
  model: N_('Model'),
  description: N_('Stage resource description'),
  allocation_percent: N_('Allocation (% of an instance)'),
  cpu: N_('CPU per pod'),
  memory: N_('Memory per pod'),
  gpu: N_('GPU per pod'),
  pod_count: N_('Number of pods'),
  pod_autoscaler: N_('Pod autoscaler')
};

const RESOURCE_HELP: { [path: string]: string } = {
  allocation_percent: N_('A share of one instance per pod; or give CPU, memory and GPU amounts instead. Nothing splits what is left evenly.'),
  memory: N_('MiB, or a quantity like 512Mi or 2Gi')
};

function prefixed(prefix: string, map: { [path: string]: string }): { [path: string]: string } {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [`${prefix}${k}`, v]));
}

const STAGE_LABELS: { [path: string]: string } = {
  instance_type: N_('Instance type'),
  instance_count: N_('Number of instances'),
  node_autoscaler: N_('Node autoscaler'),
  resources: N_('Stage resources'),
  'resources[]': N_('Stage resource'),
  ...prefixed('resources[].', RESOURCE_LABELS)
};

export const ENDPOINT_FORM: IFormHints = {
  schema: 'EndpointCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'stage', title: N_('Stage information'), fields: ['stage_name', 'stage_description', 'instance_type', 'instance_count', 'node_autoscaler', 'backend'] },
    { id: 'resources', title: N_('Stage resource information'), fields: ['resources'] }
  ],
  labels: {
    ...STAGE_LABELS,
    name: N_('Endpoint name'),
    description: N_('Endpoint description'),
    stage_name: N_('Stage name'),
    stage_description: N_('Stage description'),
    backend: N_('Backend')
  },
  help: prefixed('resources[].', RESOURCE_HELP),
  hidden: []
};

export const STAGE_FORM: IFormHints = {
  schema: 'StageCreate',
  sections: [
    { id: 'stage', title: N_('Stage information'), fields: ['name', 'description', 'instance_type', 'instance_count', 'node_autoscaler'] },
    { id: 'resources', title: N_('Stage resource information'), fields: ['resources'] }
  ],
  labels: { ...STAGE_LABELS, name: N_('Stage name'), description: N_('Stage description') },
  help: prefixed('resources[].', RESOURCE_HELP),
  hidden: []
};

export const STAGE_RESOURCE_FORM: IFormHints = {
  schema: 'StageResourceCreate',
  sections: [
    { id: 'resource', title: N_('Stage resource information'), fields: ['model', 'description', 'allocation_percent', 'cpu', 'memory', 'gpu', 'pod_count', 'pod_autoscaler'] }
  ],
  labels: RESOURCE_LABELS,
  help: RESOURCE_HELP,
  hidden: []
};
