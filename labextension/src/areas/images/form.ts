/** Layout of the create form of a private image (the guide's fields); the account is the form's own control. */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const IMAGE_FORM: IFormHints = {
  schema: 'ImageCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'image', title: N_('Image'), fields: ['address', 'image_type', 'framework', 'local_python'] },
    { id: 'account', title: N_('Account'), fields: [] }
  ],
  labels: {
    name: N_('Image name'),
    description: N_('Image description'),
    address: N_('Address'),
    image_type: N_('Type'),
    framework: N_('Framework'),
    local_python: N_('Local Python environment')
  },
  help: {
    address: N_('The image address in the registry, e.g. example-kr1-registry.container.nhncloud.com/registry/custom-training:v1'),
    image_type: N_('NOTEBOOK or TRAINING.'),
    framework: N_("What the image's base image carries; the local environment is checked for it."),
    local_python: N_("On this server: the interpreter (absolute path) or conda environment its work runs in. Empty: the server's own.")
  },
  hidden: ['registry_account_id', 'registry_account']
};
