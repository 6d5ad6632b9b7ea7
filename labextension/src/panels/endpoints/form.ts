/** Layout of the create form of an endpoint (the guide's sections). */
import { N_ } from '../../i18n';
import type { IFormHints } from '../../state/formHints';

export const ENDPOINT_FORM: IFormHints = {
  schema: 'EndpointCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'stage', title: N_('Stage information'), fields: ['stage_name', 'stage_description', 'instance_type', 'instance_count', 'node_autoscaler', 'backend'] },
    { id: 'resources', title: N_('Stage resource information'), fields: ['resources'] }
  ],
  labels: {
    name: N_('Endpoint name'),
    description: N_('Endpoint description'),
    stage_name: N_('Stage name'),
    stage_description: N_('Stage description'),
    instance_type: N_('Instance type'),
    instance_count: N_('Number of instances'),
    node_autoscaler: N_('Node autoscaler'),
    resources: N_('Stage resources'),
    'resources[].model': N_('Model'),
    backend: N_('Backend')
  },
  hidden: []
};
