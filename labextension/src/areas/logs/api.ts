import type { ApiClient } from '../../shared/api/client';
import type { IServerSentEvent } from '../../shared/api/sse';

/** One structured log record (the guide's fields; the ids a record carries vary by category). */
export interface ILogRecord {
  id: number;
  time: string;
  category: string;
  logLevel: string;
  logType: string;
  body: string;
  resourceId?: string;
  trainingId?: string;
  hyperparameterTuningId?: string;
  batchInferenceId?: string;
  endpointId?: string;
  endpointStageId?: string;
  inferenceId?: string;
  [field: string]: unknown;
}

export interface ILogPage {
  records: ILogRecord[];
  /** Pass as `before` for the next (older) page; null: there is none. */
  next_before: number | null;
}

export interface ILogSearch {
  query?: string;
  since?: string;
  until?: string;
  before?: number;
  limit?: number;
}

export function searchLogs(client: ApiClient, search: ILogSearch): Promise<ILogPage> {
  return client.get<ILogPage>('logs', {
    query: search.query || undefined,
    since: search.since || undefined,
    until: search.until || undefined,
    before: search.before,
    limit: search.limit
  });
}

/** Records matching `query` as they are written, until `signal` aborts (rejects with ApiError on a bad query). */
export function tailLogs(
  client: ApiClient,
  search: ILogSearch & { after?: number },
  onRecord: (record: ILogRecord) => void,
  signal: AbortSignal
): Promise<void> {
  const onEvent = (event: IServerSentEvent): void => {
    if (event.event === 'log') {
      onRecord(JSON.parse(event.data) as ILogRecord);
    }
  };
  return client.stream('logs/tail', onEvent, signal, {
    query: search.query || undefined,
    since: search.since || undefined,
    until: search.until || undefined,
    after: search.after
  });
}
