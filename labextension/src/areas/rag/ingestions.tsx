/**
 * The ingestion history of a RAG: one row per ingestion (status, trigger,
 * who, files added / changed / deleted / failed, chunks, duration); the
 * selected one below it: its progress and a stop button while it runs,
 * what it did per file (failed files first, with the reason) and its logs.
 * Re-read on every change of the RAG (ingestion events) and every few
 * seconds while an ingestion runs and the tab is seen.
 */
import * as React from 'react';

import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import type { ITrans } from '../../shared/i18n';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { ProgressCell } from '../../shared/panels/cells';
import { PolledLogs } from '../../shared/panels/polledLogs';
import { formatBytes, formatElapsed, formatNumber, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { IIngestion, IIngestionFile, ragsApi } from './api';
import { confirmAction, usePolling } from './parts';
import { OUTCOME_ORDER, hasResult, ingestionCounts, ingestionSeconds, orderFiles } from './shaping';
import { isIngestionSettled, isIngestionStoppable } from './statuses';

/** Re-reads while an ingestion runs and the tab is seen. */
const RUNNING_REFRESH_MS = 2000;
const FILES_PAGE = 200;

export interface IIngestionsProps {
  ctx: EasyMakerContext;
  ragId: string;
  ragName: string;
  /** Bumped on every re-read of the RAG (an ingestion changed). */
  version: number;
  /** The panel is seen. */
  visible: boolean;
  /** The ingestion shown below the table (the newest when unset). */
  selected: string | null;
  onSelect(id: string): void;
}

export function IngestionsView(props: IIngestionsProps): JSX.Element {
  const { ctx, ragId } = props;
  const trans = useTrans();
  const [items, setItems] = React.useState<IIngestion[] | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const load = React.useCallback(async () => {
    try {
      const page = await ragsApi(ctx).ingestions(ragId, { limit: 100 });
      setItems(page.items);
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [ragId]);
  React.useEffect(() => void load(), [load, props.version]);
  const running = (items ?? []).some(i => !isIngestionSettled(i.status));
  usePolling(load, RUNNING_REFRESH_MS, props.visible && running, [ragId]);

  if (items === null) {
    return error ? <div className="jp-EasyMaker-error">{error}</div> : <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  const selected = items.find(i => i.id === props.selected) ?? items[0];
  return (
    <div className="jp-EasyMaker-batchOutputs" data-role="ingestions">
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      {items.length ? (
        <table className="jp-EasyMaker-details jp-EasyMaker-grid" data-role="ingestion-list" style={{ maxWidth: 'none' }}>
          <thead>
            <tr>
              <th>{trans.__('Status')}</th>
              <th>{trans.__('Trigger')}</th>
              <th>{trans.__('Requested by')}</th>
              <th>{trans.__('Added')}</th>
              <th>{trans.__('Changed')}</th>
              <th>{trans.__('Deleted')}</th>
              <th>{trans.__('Failed')}</th>
              <th>{trans.__('Chunks')}</th>
              <th>{trans.__('Duration')}</th>
              <th>{trans.__('Started')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map(i => {
              const c = ingestionCounts(i);
              const n = (v: number | null) => (v === null ? '-' : formatNumber(v));
              return (
                <tr
                  key={i.id}
                  data-ingestion={i.id}
                  data-status={i.status}
                  className={i.id === selected?.id ? 'jp-mod-selected' : undefined}
                  aria-selected={i.id === selected?.id}
                  style={{ cursor: 'pointer' }}
                  onClick={() => props.onSelect(i.id)}
                >
                  <td>
                    <StatusBadge status={i.status} title={i.status_reason} />
                  </td>
                  <td>{i.trigger === 'create' ? trans.__('create') : i.trigger === 'sync' ? trans.__('sync') : i.trigger}</td>
                  <td>{i.requested_by || '-'}</td>
                  <td>{n(c.added)}</td>
                  <td>{n(c.changed)}</td>
                  <td>{n(c.deleted)}</td>
                  <td className={c.failed ? 'jp-EasyMaker-errorCount' : undefined} data-role="failed-count">
                    {n(c.failed)}
                  </td>
                  <td>{n(c.chunks)}</td>
                  <td>{formatElapsed(ingestionSeconds(i))}</td>
                  <td>{formatTime(i.started_at ?? i.created_at)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : (
        <div className="jp-EasyMaker-empty">{trans.__('No ingestions yet.')}</div>
      )}
      {selected ? <IngestionDetail key={selected.id} ctx={ctx} ragId={ragId} ragName={props.ragName} ingestion={selected} onChanged={load} /> : null}
    </div>
  );
}

function IngestionDetail(props: { ctx: EasyMakerContext; ragId: string; ragName: string; ingestion: IIngestion; onChanged(): Promise<void> }): JSX.Element {
  const { ctx, ragId, ingestion } = props;
  const trans = useTrans();
  const settled = isIngestionSettled(ingestion.status);
  const p = ingestion.progress;
  const r = hasResult(ingestion) ? ingestion.result : null;
  const stop = async () => {
    const ok = await confirmAction(
      trans,
      trans.__('Stop ingestion'),
      trans.__('Stop this ingestion? The files read so far are not applied: the vector store keeps its live generation.'),
      trans.__('Stop')
    );
    if (!ok) {
      return;
    }
    try {
      await ragsApi(ctx).stopIngestion(ragId, ingestion.id);
    } catch (e) {
      notifyError(trans, trans.__('Stop failed'), e);
    }
    await props.onChanged();
  };
  return (
    <div className="jp-EasyMaker-section" data-role="ingestion" data-ingestion={ingestion.id} data-status={ingestion.status}>
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('Ingestion %1', formatTime(ingestion.started_at ?? ingestion.created_at))}</h3>
        <StatusBadge status={ingestion.status} title={ingestion.status_reason} />
        {isIngestionStoppable(ingestion.status) ? (
          <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="stop-ingestion" onClick={() => void stop()}>
            {trans.__('Stop')}
          </button>
        ) : null}
      </div>
      {ingestion.status_reason ? <div className="jp-EasyMaker-help">{ingestion.status_reason}</div> : null}
      {!settled && p ? (
        <div data-role="ingestion-progress">
          <div className="jp-EasyMaker-help">{trans.__('Files')}</div>
          <div className="jp-EasyMaker-bigProgress">
            <ProgressCell done={p.files_done ?? 0} total={p.files_total} />
          </div>
          <div className="jp-EasyMaker-help">{trans.__('Chunks embedded')}</div>
          <div className="jp-EasyMaker-bigProgress">
            <ProgressCell done={p.chunks_embedded ?? 0} total={p.chunks || null} />
          </div>
        </div>
      ) : null}
      {r ? (
        <div className="jp-EasyMaker-help" data-role="ingestion-result">
          {trans.__(
            '%1 added, %2 changed, %3 deleted, %4 unchanged, %5 failed; %6 chunks (%7 embedded)',
            formatNumber(r.files_added ?? 0),
            formatNumber(r.files_changed ?? 0),
            formatNumber(r.files_deleted ?? 0),
            formatNumber(r.files_unchanged ?? 0),
            formatNumber(r.files_failed ?? 0),
            formatNumber(r.chunks_total ?? 0),
            formatNumber(r.chunks_embedded ?? 0)
          )}
          {r.generation !== null && r.generation !== undefined ? ` · ${trans.__('generation %1', r.generation)}` : ''}
          {r.reindexed ? ` · ${trans.__('the settings changed: every file was read again')}` : ''}
        </div>
      ) : null}
      <IngestionFiles ctx={ctx} ragId={ragId} ingestion={ingestion} />
      <details className="jp-EasyMaker-section" data-role="ingestion-logs" open={!settled}>
        <summary className="jp-EasyMaker-groupTitle">{trans.__('Logs')}</summary>
        <PolledLogs
          fetch={after => ragsApi(ctx).ingestionLogs(ragId, ingestion.id, after)}
          isFinal={status => isIngestionSettled(status)}
          filename={`${props.ragName}-ingestion-${ingestion.id}.log`}
        />
      </details>
    </div>
  );
}

/** What one ingestion did per file: FAILED first, with the reason code and reason; a filter by outcome. */
function IngestionFiles(props: { ctx: EasyMakerContext; ragId: string; ingestion: IIngestion }): JSX.Element {
  const { ctx, ragId, ingestion } = props;
  const trans = useTrans();
  const [outcome, setOutcome] = React.useState('');
  const [files, setFiles] = React.useState<IIngestionFile[] | null>(null);
  const [total, setTotal] = React.useState(0);
  const [error, setError] = React.useState<string | null>(null);
  const settled = isIngestionSettled(ingestion.status);
  const read = async (offset: number) => {
    const page = await ragsApi(ctx).ingestionFiles(ragId, ingestion.id, { offset, limit: FILES_PAGE, outcome: outcome || undefined });
    setTotal(page.total);
    return page.items;
  };
  React.useEffect(() => {
    let gone = false;
    read(0)
      .then(items => !gone && (setFiles(items), setError(null)))
      .catch(e => !gone && setError(errorText(e)));
    return () => {
      gone = true;
    };
    // read again when the ingestion settles (its results are complete then)
  }, [ragId, ingestion.id, outcome, settled]);
  const more = async () => {
    try {
      const items = await read(files?.length ?? 0);
      setFiles([...(files ?? []), ...items]);
    } catch (e) {
      setError(errorText(e));
    }
  };
  const shown = orderFiles(files ?? []);
  return (
    <div className="jp-EasyMaker-section" data-role="ingestion-files">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('Files')}</h3>
        <select className="jp-mod-styled" name="file-outcome" style={{ width: 'auto' }} value={outcome} onChange={e => setOutcome(e.target.value)}>
          <option value="">{trans.__('All outcomes')}</option>
          {OUTCOME_ORDER.map(o => (
            <option key={o} value={o}>
              {outcomeLabel(trans, o)}
            </option>
          ))}
        </select>
        <span className="jp-EasyMaker-help">{files ? trans.__('%1 of %2', shown.length, total) : ''}</span>
      </div>
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      {files === null ? (
        <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>
      ) : shown.length ? (
        <table className="jp-EasyMaker-details jp-EasyMaker-grid" style={{ maxWidth: 'none' }}>
          <thead>
            <tr>
              <th>{trans.__('Outcome')}</th>
              <th>{trans.__('File')}</th>
              <th>{trans.__('Reason code')}</th>
              <th>{trans.__('Reason')}</th>
              <th>{trans.__('Size')}</th>
              <th>{trans.__('Chunks')}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map(f => (
              <tr key={f.path} data-file={f.path} data-outcome={f.outcome} className={f.outcome === 'failed' ? 'jp-mod-error' : undefined}>
                <td>{outcomeLabel(trans, f.outcome)}</td>
                <td>
                  <code style={{ overflowWrap: 'anywhere' }}>{f.path}</code>
                </td>
                <td>{f.reason_code ? <code>{f.reason_code}</code> : '-'}</td>
                <td>{f.reason || '-'}</td>
                <td>{formatBytes(f.size_bytes)}</td>
                <td>{f.chunks === null || f.chunks === undefined ? '-' : formatNumber(f.chunks)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-EasyMaker-empty">{settled ? trans.__('No files.') : trans.__('The per-file results appear as files are read.')}</div>
      )}
      {files && files.length < total ? (
        <button type="button" className="jp-EasyMaker-button" data-action="more-files" onClick={() => void more()}>
          {trans.__('More')}
        </button>
      ) : null}
    </div>
  );
}

function outcomeLabel(trans: ITrans, outcome: string): string {
  switch (outcome) {
    case 'failed':
      return trans.__('FAILED');
    case 'added':
      return trans.__('added');
    case 'changed':
      return trans.__('changed');
    case 'deleted':
      return trans.__('deleted');
    case 'unchanged':
      return trans.__('unchanged');
    default:
      return outcome;
  }
}
