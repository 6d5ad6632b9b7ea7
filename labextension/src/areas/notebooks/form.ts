/** Layout of the create form of a notebook (the guide's sections). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const NOTEBOOK_FORM: IFormHints = {
  schema: 'NotebookCreate',
  sections: [
    { id: 'image', title: N_('Image'), fields: ['image'] },
    { id: 'basic', title: N_('Notebook information'), fields: ['name', 'description', 'instance_type'] },
    { id: 'storage', title: N_('Storage'), fields: ['boot_storage_gb', 'data_storage_gb', 'nas_mount_name', 'nas_path'] }
  ],
  labels: {
    image: N_('Image'),
    name: N_('Notebook name'),
    description: N_('Notebook description'),
    instance_type: N_('Instance type'),
    boot_storage_gb: N_('Boot storage size (GB)'),
    data_storage_gb: N_('Data storage size (GB)'),
    nas_mount_name: N_('Mount directory name'),
    nas_path: N_('NHN Cloud NAS path')
  },
  help: {
    name: N_('Use 1-50 letters, digits, - or _'),
    image: N_("Empty: the server's notebook image."),
    boot_storage_gb: N_('Where Jupyter and the default environment live; emptied on every start. Cannot change after creation.'),
    data_storage_gb: N_('Mounted at the data path (~/easymaker); kept across stop and start. Cannot change after creation.'),
    nas_path: N_('nas://{NAS ID}:/{path}; mounted under the mount directory name.')
  },
  hidden: []
};
