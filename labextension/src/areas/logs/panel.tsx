/**
 * Log search: a query in the guide's language over every job's structured
 * logs, a time window, level and category quick filters, newest first with
 * "older" paging, and a live toggle that tails the query. A syntax error is
 * shown under the query box with the server's message (it names the position).
 */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import { ApiError } from '../../shared/api/client';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { errorText } from '../../shared/state/listModel';
import { type ILogRecord, searchLogs, tailLogs } from './api';
import { composeQuery, localToIso } from './query';

export const LEVELS = ['ERROR', 'WARNING', 'INFO'] as const;
export const CATEGORIES = ['easymaker.training', 'easymaker.inference'] as const;
const PAGE = 100;
const KEPT = 2000; // records a live tail keeps on screen

/** Which command opens the resource a record is about (the first id it carries that has one). */
const OPENERS: readonly [field: string, command: string][] = [
  ['hyperparameterTuningId', CommandIDs.openTuning],
  ['trainingId', CommandIDs.openTraining],
  ['batchInferenceId', CommandIDs.openBatchInference],
  ['endpointId', CommandIDs.openEndpoint]
];
const RESOURCE_FIELDS = ['trainingId', 'hyperparameterTuningId', 'batchInferenceId', 'endpointId', 'endpointStageId', 'inferenceId'];

export class LogsPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext) {
    super(ctx);
    this.addClass('jp-EasyMaker-logs');
    this.id = 'jp-EasyMaker-logs';
    this.title.label = ctx.trans.__('Logs');
    this.title.closable = true;
    void this.search();
  }

  text = '';
  level = '';
  category = '';
  since = '';
  until = '';
  records: ILogRecord[] = [];
  nextBefore: number | null = null;
  queryError: string | null = null;
  error: string | null = null;
  loading = false;
  live = false;

  get query(): string {
    return composeQuery(this.text, this.level, this.category);
  }

  set(changes: Partial<Pick<LogsPanel, 'text' | 'level' | 'category' | 'since' | 'until'>>): void {
    Object.assign(this, changes);
    this.update();
  }

  /** Run the query from the newest record (and restart the tail when live). */
  async search(): Promise<void> {
    this._stopTail();
    // only the newest search's answer is shown: an older one arriving late (the panel's first,
    // empty query) must not clear the error or the records of the query typed since
    const searchNumber = ++this._searches;
    this.loading = true;
    this.update();
    try {
      const page = await searchLogs(this.ctx.api.client, this._window({ limit: PAGE }));
      if (searchNumber !== this._searches) {
        return;
      }
      this.records = page.records;
      this.nextBefore = page.next_before;
      this.queryError = null;
      this.error = null;
    } catch (error) {
      if (searchNumber !== this._searches) {
        return;
      }
      this._fail(error);
      this.records = [];
      this.nextBefore = null;
    }
    this.loading = false;
    this.update();
    if (this.live && this.queryError === null) {
      this._startTail();
    }
  }

  async older(): Promise<void> {
    if (this.nextBefore === null) {
      return;
    }
    const searchNumber = this._searches;
    try {
      const page = await searchLogs(this.ctx.api.client, this._window({ limit: PAGE, before: this.nextBefore }));
      if (searchNumber !== this._searches) {
        return; // a new search replaced the records this page would extend
      }
      this.records = [...this.records, ...page.records];
      this.nextBefore = page.next_before;
    } catch (error) {
      this._fail(error);
    }
    this.update();
  }

  setLive(live: boolean): void {
    this.live = live;
    if (live) {
      this._startTail();
    } else {
      this._stopTail();
    }
    this.update();
  }

  open(record: ILogRecord): void {
    for (const [field, command] of OPENERS) {
      const id = record[field];
      if (typeof id === 'string' && id && this.ctx.app.commands.hasCommand(command)) {
        void this.ctx.app.commands.execute(command, { id });
        return;
      }
    }
  }

  canOpen(record: ILogRecord): boolean {
    return OPENERS.some(([field, command]) => typeof record[field] === 'string' && this.ctx.app.commands.hasCommand(command));
  }

  dispose(): void {
    this._stopTail();
    super.dispose();
  }

  protected renderPanel(): JSX.Element {
    return <LogsView panel={this} />;
  }

  private _window<T extends object>(extra: T): T & { query: string; since?: string; until?: string } {
    return { ...extra, query: this.query, since: localToIso(this.since), until: localToIso(this.until) };
  }

  private _fail(error: unknown): void {
    if (error instanceof ApiError && error.field === 'query') {
      this.queryError = error.message;
    } else {
      this.error = errorText(error);
    }
  }

  private _startTail(): void {
    this._stopTail();
    const abort = new AbortController();
    this._tail = abort;
    // after the newest record shown; none shown: every match is new (0), not only those after the tail connects
    const after = this.records.length ? this.records[0].id : 0;
    tailLogs(
      this.ctx.api.client,
      this._window({ after }),
      record => {
        this.records = [record, ...this.records].slice(0, KEPT);
        this.update();
      },
      abort.signal
    ).catch(error => {
      if (!abort.signal.aborted) {
        this._fail(error);
        this.live = false;
        this.update();
      }
    });
  }

  private _stopTail(): void {
    this._tail?.abort();
    this._tail = null;
  }

  private _tail: AbortController | null = null;
  private _searches = 0;
}

function resourceOf(record: ILogRecord): string {
  for (const field of RESOURCE_FIELDS) {
    if (typeof record[field] === 'string' && record[field]) {
      return record[field] as string;
    }
  }
  return record.resourceId ?? '';
}

function LogsView(props: { panel: LogsPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const submit = (event: React.FormEvent): void => {
    event.preventDefault();
    void panel.search();
  };
  return (
    <div className="jp-EasyMaker-detailBody">
      <h2 className="jp-EasyMaker-detailTitle">{trans.__('Logs')}</h2>
      <form className="jp-EasyMaker-logSearch" onSubmit={submit}>
        <input
          type="search"
          data-role="log-query"
          className="jp-EasyMaker-logQuery"
          aria-label={trans.__('Query')}
          placeholder={trans.__('e.g. category:"easymaker.training" AND logLevel:ERROR')}
          value={panel.text}
          onChange={e => panel.set({ text: e.currentTarget.value })}
        />
        <button type="submit" data-role="log-search">
          {trans.__('Search')}
        </button>
        {panel.queryError ? (
          <div className="jp-EasyMaker-error" role="alert" data-role="query-error">
            {panel.queryError}
          </div>
        ) : null}
        <div className="jp-EasyMaker-logFilters">
          <label>
            {trans.__('From')}{' '}
            <input type="datetime-local" step="1" data-role="log-since" value={panel.since} onChange={e => panel.set({ since: e.currentTarget.value })} />
          </label>
          <label>
            {trans.__('To')}{' '}
            <input type="datetime-local" step="1" data-role="log-until" value={panel.until} onChange={e => panel.set({ until: e.currentTarget.value })} />
          </label>
          <label>
            {trans.__('Level')}{' '}
            <select
              data-role="log-level"
              value={panel.level}
              onChange={e => {
                panel.set({ level: e.currentTarget.value });
                void panel.search();
              }}
            >
              <option value="">{trans.__('All')}</option>
              {LEVELS.map(level => (
                <option key={level} value={level}>
                  {level}
                </option>
              ))}
            </select>
          </label>
          <label>
            {trans.__('Category')}{' '}
            <select
              data-role="log-category"
              value={panel.category}
              onChange={e => {
                panel.set({ category: e.currentTarget.value });
                void panel.search();
              }}
            >
              <option value="">{trans.__('All')}</option>
              {CATEGORIES.map(category => (
                <option key={category} value={category}>
                  {category}
                </option>
              ))}
            </select>
          </label>
          <label>
            <input type="checkbox" data-role="log-live" checked={panel.live} onChange={e => panel.setLive(e.currentTarget.checked)} />{' '}
            {trans.__('Live')}
          </label>
        </div>
      </form>
      {panel.error ? (
        <div className="jp-EasyMaker-error" role="alert">
          {trans.__('The logs could not be searched: %1', panel.error)}
        </div>
      ) : null}
      {panel.records.length ? (
        <table className="jp-EasyMaker-details jp-EasyMaker-logTable" data-role="log-results">
          <thead>
            <tr>
              <th>{trans.__('Time')}</th>
              <th>{trans.__('Level')}</th>
              <th>{trans.__('Category')}</th>
              <th>{trans.__('Resource')}</th>
              <th>{trans.__('Body')}</th>
            </tr>
          </thead>
          <tbody>
            {panel.records.map(record => (
              <tr key={record.id} data-role="log-row" data-level={record.logLevel}>
                <td>{new Date(record.time).toLocaleString()}</td>
                <td>{record.logLevel}</td>
                <td>{record.category}</td>
                <td>
                  {panel.canOpen(record) ? (
                    <button type="button" className="jp-EasyMaker-link" data-role="log-resource" onClick={() => panel.open(record)}>
                      {resourceOf(record)}
                    </button>
                  ) : (
                    resourceOf(record)
                  )}
                </td>
                <td className="jp-EasyMaker-logBody">{record.body}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-EasyMaker-help" data-role="log-empty">
          {panel.loading ? trans.__('Loading…') : trans.__('No log record matches.')}
        </div>
      )}
      {panel.nextBefore !== null ? (
        <button type="button" data-role="log-older" onClick={() => void panel.older()}>
          {trans.__('Older')}
        </button>
      ) : null}
    </div>
  );
}
