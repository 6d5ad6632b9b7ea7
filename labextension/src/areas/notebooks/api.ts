import { familyApi } from '../../shared/api';
import type { ApiClient } from '../../shared/api/client';
import { ResourceApi } from '../../shared/api/resources';
import type { IMetrics, IResource } from '../../shared/api/types';

export interface INotebook extends IResource {
  image: string;
  instance_type: string;
  boot_storage_gb: number;
  data_storage_gb: number;
  nas_mount_name: string;
  nas_path: string;
  backend: string;
  /** The proxy URL that opens the notebook; empty unless it is ACTIVE. */
  url: string;
  data_path: string;
}

export interface INotebookCreate {
  name: string;
  description?: string;
  image?: string;
  instance_type?: string;
  boot_storage_gb?: number;
  data_storage_gb?: number;
  nas_mount_name?: string;
  nas_path?: string;
}

export interface INotebookUpdate {
  name?: string;
  description?: string;
  instance_type?: string;
}

export interface IScriptResult {
  name: string;
  runnable: boolean;
  exit_code: number | null;
  output: string | null;
}

export interface IStartupScripts {
  scripts: IScriptResult[];
  run_log: string;
}

export class NotebooksApi extends ResourceApi<INotebook, INotebookCreate> {
  constructor(client: ApiClient) {
    super(client, 'notebooks', 'notebook');
  }

  change(ref: string, body: INotebookUpdate): Promise<INotebook> {
    return this.client.patch<INotebook>(this.item(ref), body);
  }

  start(ref: string): Promise<INotebook> {
    return this.client.post<INotebook>(`${this.item(ref)}/start`);
  }

  stop(ref: string): Promise<INotebook> {
    return this.client.post<INotebook>(`${this.item(ref)}/stop`);
  }

  reboot(ref: string): Promise<INotebook> {
    return this.client.post<INotebook>(`${this.item(ref)}/reboot`);
  }

  startupScripts(ref: string): Promise<IStartupScripts> {
    return this.client.get<IStartupScripts>(`${this.item(ref)}/startup-scripts`);
  }

  monitoring(ref: string): Promise<IMetrics> {
    return this.client.get<IMetrics>(`${this.item(ref)}/monitoring`).then(m => ({ metrics: [], usage: m.usage ?? [] }));
  }
}

/** The notebooks API over the context's client. */
export const notebooksApi = familyApi(client => new NotebooksApi(client));
