import type { ApiClient } from './client';
import { ResourceApi } from './resources';
import type { ILogPage, ILogRecord, IMetrics, ITemplate, ITraining } from './types';

/** Body of `POST trainings/from-file` ("Submit as training" on a file). */
export interface ISubmitFileBody {
  /** Path of a notebook or .py file, relative to the server root. */
  path: string;
  name: string;
  experiment_name?: string;
  experiment_id?: string;
  instance_type?: string;
  backend?: string;
  [key: string]: unknown;
}

export class TrainingsApi extends ResourceApi<ITraining> {
  constructor(client: ApiClient) {
    super(client, 'trainings', 'training');
  }

  stop(ref: string): Promise<ITraining> {
    return this.client.post<ITraining>(`${this.item(ref)}/stop`);
  }

  /** Save this training's fields as a template. */
  saveAsTemplate(ref: string, body: { name: string; description?: string }): Promise<ITemplate> {
    return this.client.post<ITemplate>(`${this.item(ref)}/template`, body);
  }

  logs(ref: string, after = 0, limit = 1000): Promise<ILogPage> {
    return this.client.get<ILogPage>(`${this.item(ref)}/logs`, { after, limit });
  }

  /**
   * Stream log records after `after` until the training has ended (the
   * server then sends `end`) or `signal` aborts. Resolves with the final
   * status, or null when the stream was cut before the end.
   */
  async followLogs(
    ref: string,
    after: number,
    onRecord: (record: ILogRecord) => void,
    signal: AbortSignal
  ): Promise<string | null> {
    let final: string | null = null;
    await this.client.stream(
      `${this.item(ref)}/logs`,
      event => {
        if (event.event === 'log') {
          onRecord(JSON.parse(event.data) as ILogRecord);
        } else if (event.event === 'end') {
          final = (JSON.parse(event.data || '{}') as { status?: string }).status ?? '';
        }
      },
      signal,
      { follow: true, after }
    );
    return final;
  }

  /** The whole log as plain text (what the download button saves). */
  logText(ref: string): Promise<string> {
    return this.client.text(`${this.item(ref)}/logs`, { format: 'text', limit: 10000 });
  }

  metrics(ref: string): Promise<IMetrics> {
    return this.client.get<IMetrics>(`${this.item(ref)}/metrics`);
  }

  /** Submit a notebook or script of the file browser as a training. */
  fromFile(body: ISubmitFileBody): Promise<ITraining> {
    return this.client.post<ITraining>(`${this.path}/from-file`, body);
  }
}
