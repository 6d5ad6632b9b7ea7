/** Layout of the create form of a registry account (the guide's fields). */
import type { IFormHints } from '../../shared/forms/hints';
import { N_ } from '../../shared/i18n';

export const ACCOUNT_LABELS: { [path: string]: string } = {
  name: N_('Registry account name'),
  description: N_('Registry account description'),
  registry_type: N_('Registry type'),
  registry_address: N_('Registry address'),
  username: N_('Registry ID'),
  password: N_('Registry password')
};

export const ACCOUNT_HELP: { [path: string]: string } = {
  registry_type: N_('NCR: NHN Cloud Container Registry; DOCKER_HUB: Docker Hub; OTHER: any registry reachable from the cluster.'),
  registry_address: N_('The registry host, e.g. example-kr1-registry.container.nhncloud.com (Docker Hub needs none).'),
  username: N_('NCR: the User Access Key of the NHN Cloud user account.'),
  password: N_('NCR: the User Secret Key. Stored encrypted and never shown again.')
};

export const REGISTRY_ACCOUNT_FORM: IFormHints = {
  schema: 'RegistryAccountCreate',
  sections: [
    { id: 'basic', title: N_('Basic information'), fields: ['name', 'description'] },
    { id: 'registry', title: N_('Registry'), fields: ['registry_type', 'registry_address', 'username', 'password'] }
  ],
  labels: ACCOUNT_LABELS,
  help: ACCOUNT_HELP,
  hidden: [],
  passwords: ['password']
};
