/** Command ids of the registry accounts area. */
export namespace RegistryAccountCommandIDs {
  export const openAccounts = 'easymaker:open-registry-accounts';
  export const createAccount = 'easymaker:create-registry-account';
  /** args: { id: string, tab?: string } */
  export const openAccount = 'easymaker:open-registry-account';
  /** args: { id: string } */
  export const editAccount = 'easymaker:edit-registry-account';
  /** args: { id: string } */
  export const editCredentials = 'easymaker:edit-registry-credentials';
}
