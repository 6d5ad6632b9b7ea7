/**
 * The vector store of a RAG: its type, live generation, files and chunks,
 * the Sync button (an ingestion that applies what was added, changed or
 * deleted in the data path), and a retrieval probe: the passages a
 * question finds, without the LLM.
 */
import * as React from 'react';

import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { DetailTable } from '../../shared/panels/base';
import { formatNumber, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { IRag, IRetrieveAnswer, ragsApi } from './api';
import { SourcesTable } from './chatTester';
import { formatLatency } from './shaping';
import { canSync } from './statuses';

export function VectorStoreView(props: { ctx: EasyMakerContext; rag: IRag; syncing: boolean; onSync(): void; onShowIngestion(id: string): void }): JSX.Element {
  const { ctx, rag } = props;
  const trans = useTrans();
  const store = rag.vector_store ?? { type: '' };
  const last = rag.last_ingestion;
  const allowed = canSync(rag) && !props.syncing;
  return (
    <div className="jp-EasyMaker-overview" data-role="vector-store">
      <div className="jp-EasyMaker-sectionHeader">
        <h3 className="jp-EasyMaker-groupTitle">{trans.__('Vector store')}</h3>
        <button
          type="button"
          className="jp-EasyMaker-button jp-mod-accept"
          data-action="sync"
          disabled={!allowed}
          title={allowed ? trans.__('Ingest the files added, changed or deleted in the data path since the last ingestion') : trans.__('A sync needs an ACTIVE RAG (or one whose last update failed) and no ingestion running')}
          onClick={() => props.onSync()}
        >
          {props.syncing ? trans.__('Requesting…') : trans.__('Sync')}
        </button>
      </div>
      <DetailTable
        rows={[
          [trans.__('Vector store type'), <span data-role="store-type">{store.type}</span>],
          ...(store.type === 'pgvector'
            ? ([[trans.__('Connection URL'), <code>{store.url ?? ''}</code>]] as [string, React.ReactNode][])
            : []),
          [trans.__('Live generation'), <span data-role="live-generation">{rag.live_generation ?? '-'}</span>],
          [trans.__('Files'), <span data-role="files">{formatNumber(rag.files ?? 0)}</span>],
          [trans.__('Chunks'), <span data-role="chunks">{formatNumber(rag.chunks ?? 0)}</span>],
          [trans.__('Embedding model'), `${rag.embedding?.model ?? ''}${rag.embedding?.dimension ? ` (${rag.embedding.dimension}d)` : ''}`],
          [trans.__('Ingestion data path'), <code>{rag.data_path}</code>],
          [
            trans.__('Last ingestion'),
            last ? (
              <span className="jp-EasyMaker-inlineControls">
                <StatusBadge status={last.status} title={last.status_reason} />
                <button type="button" className="jp-EasyMaker-name" data-role="open-ingestion" onClick={() => props.onShowIngestion(last.id)}>
                  {formatTime(last.finished_at ?? last.started_at ?? last.created_at)}
                </button>
              </span>
            ) : (
              ''
            )
          ]
        ]}
      />
      <p className="jp-EasyMaker-help">
        {trans.__('A sync reads the data path again and applies the files added, changed and deleted since the last ingestion to a new generation; queries use the live generation until the new one is complete.')}
      </p>
      <RetrieveProbe ctx={ctx} rag={rag} />
    </div>
  );
}

function RetrieveProbe(props: { ctx: EasyMakerContext; rag: IRag }): JSX.Element {
  const { ctx, rag } = props;
  const trans = useTrans();
  const [query, setQuery] = React.useState('');
  const [mode, setMode] = React.useState('');
  const [topK, setTopK] = React.useState('');
  const [answer, setAnswer] = React.useState<IRetrieveAnswer | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const k = parseInt(topK, 10);
      setAnswer(await ragsApi(ctx).retrieve(rag.id, { query: query.trim(), mode: mode || undefined, top_k: Number.isFinite(k) && k > 0 ? k : undefined }));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <details className="jp-EasyMaker-section" data-role="retrieve">
      <summary className="jp-EasyMaker-groupTitle">{trans.__('Try retrieval')}</summary>
      <div className="jp-EasyMaker-inlineControls">
        <input
          className="jp-mod-styled"
          name="retrieve-query"
          style={{ flex: '1 1 300px' }}
          placeholder={trans.__('A question')}
          value={query}
          onChange={e => setQuery(e.target.value)}
          onKeyDown={e => e.key === 'Enter' && query.trim() && !busy && void run()}
        />
        <select className="jp-mod-styled" name="retrieve-mode" value={mode} onChange={e => setMode(e.target.value)}>
          <option value="">{trans.__('(default: %1)', rag.retrieval?.mode ?? '')}</option>
          <option value="hybrid">hybrid</option>
          <option value="dense">dense</option>
          <option value="bm25">bm25</option>
        </select>
        <input
          className="jp-mod-styled"
          name="retrieve-top-k"
          type="number"
          min={1}
          max={100}
          style={{ width: 70 }}
          placeholder={String(rag.retrieval?.top_k ?? '')}
          aria-label="top-k"
          value={topK}
          onChange={e => setTopK(e.target.value)}
        />
        <button type="button" className="jp-EasyMaker-button" data-action="retrieve" disabled={busy || !query.trim()} onClick={() => void run()}>
          {trans.__('Retrieve')}
        </button>
      </div>
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      {answer ? (
        <div data-role="retrieve-answer">
          <div className="jp-EasyMaker-help">
            {answer.mode} · top-k {answer.top_k} · {formatLatency(answer.took_ms)}
          </div>
          <SourcesTable sources={answer.sources} />
        </div>
      ) : null}
    </details>
  );
}
