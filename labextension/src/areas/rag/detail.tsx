/**
 * One RAG: overview (its settings, the query URL and how to call it), the
 * ingestion history, the vector store (Sync), a chat tester, API keys, API
 * statistics, monitoring, the query server's logs and the status history.
 * Its own change events and those of its ingestions re-read it; polling
 * ticks re-read it until it and its last ingestion have settled.
 */
import * as React from 'react';

import type { IChangeEvent } from '../../shared/api/types';
import { confirmDelete } from '../../shared/components/dialogs';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { DetailTable, notifyError } from '../../shared/panels/base';
import { DetailRows, historyTab, identityRows } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { IRag, ragsApi } from './api';
import { RagApiKeysView } from './apiKeys';
import { ChatSession } from './chatSession';
import { ChatTester, queryUrl } from './chatTester';
import { RagCommandIDs } from './commands';
import { IngestionsView } from './ingestions';
import { LastIngestionCell, filesAndChunks } from './list';
import { Snippet, UrlWithCopy } from './parts';
import { curlExample, openaiBaseUrl, pythonExample } from './shaping';
import { INGESTION_KIND, isIngestionSettled, isRagDeletable, isRagSettled, ragSettledStatuses } from './statuses';
import { ApiStatsView, RagLogsView, RagMonitoringView } from './usage';
import { VectorStoreView } from './vectorStore';

const EXAMPLE_QUESTION = 'What do the documents say about this topic?';

export class RagDetailPanel extends ResourceDetailPanel<IRag> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { api: ragsApi(ctx), id, finalStatuses: ragSettledStatuses(), name: 'rag', tab });
    this.title.label = ctx.trans.__('RAG');
    this.chat = new ChatSession(queryUrl(ctx), () => this.resource?.name ?? '');
    // the polled views read only while seen: tell them when that changes
    this.visibilityChanged.connect(() => this.update());
  }

  /** The tester's conversation: kept while the tab is open. */
  readonly chat: ChatSession;

  /** Show one ingestion in the Ingestion history tab. */
  showIngestion(id: string): void {
    this._ingestion = id;
    this.setTab('ingestions');
  }

  protected onLoaded(resource: IRag): void {
    this._version++;
    super.onLoaded(resource);
  }

  protected isFinal(r: IRag): boolean {
    // the RAG, its last ingestion and its gateway settled
    return isRagSettled(r.status) && (!r.last_ingestion || isIngestionSettled(r.last_ingestion.status)) && r.gateway_status !== 'DEPLOYING';
  }

  protected watches(event: IChangeEvent): boolean {
    if (event.kind !== INGESTION_KIND) {
      return false;
    }
    // an ingestion event names its RAG
    const rag = (event as IChangeEvent & { rag_id?: string }).rag_id;
    return rag === undefined || rag === this.resourceId;
  }

  protected actions(r: IRag): IToolbarAction[] {
    const { trans } = this;
    const deletable = isRagDeletable(r.status);
    return [
      { id: 'refresh', label: trans.__('Refresh'), onClick: () => void this.reload() },
      {
        id: 'delete',
        label: trans.__('Delete'),
        danger: true,
        disabled: !deletable,
        title: deletable
          ? undefined
          : trans.__('A RAG cannot be deleted while it is being created or deleted (CREATE REQUESTED, CREATE IN PROGRESS, DELETE IN PROGRESS)'),
        onClick: () => void this.deleteRag()
      }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const r = this.resource as IRag;
    const seen = this.seen;
    return [
      { id: 'overview', label: trans.__('Overview'), render: () => <RagOverview rag={r} /> },
      {
        id: 'ingestions',
        label: trans.__('Ingestion history'),
        render: () => (
          <IngestionsView
            ctx={ctx}
            ragId={r.id}
            ragName={r.name}
            version={this._version}
            visible={seen}
            selected={this._ingestion}
            onSelect={id => {
              this._ingestion = id;
              this.update();
            }}
          />
        )
      },
      {
        id: 'vector-store',
        label: trans.__('Vector store'),
        render: () => <VectorStoreView ctx={ctx} rag={r} syncing={this._syncing} onSync={() => void this.sync()} onShowIngestion={id => this.showIngestion(id)} />
      },
      { id: 'chat', label: trans.__('Chat tester'), render: () => <ChatTester ctx={ctx} rag={r} session={this.chat} /> },
      { id: 'api-keys', label: trans.__('API keys'), render: () => <RagApiKeysView ctx={ctx} ragId={r.id} /> },
      { id: 'statistics', label: trans.__('API statistics'), render: () => <ApiStatsView ctx={ctx} ragId={r.id} visible={seen} /> },
      { id: 'monitoring', label: trans.__('Monitoring'), render: () => <RagMonitoringView ctx={ctx} ragId={r.id} visible={seen} /> },
      {
        id: 'logs',
        label: trans.__('Logs'),
        render: () => <RagLogsView ctx={ctx} ragId={r.id} ragName={r.name} />
      },
      historyTab(trans, r.history)
    ];
  }

  /** Ask for a sync, then show the new ingestion. */
  async sync(): Promise<void> {
    const { trans } = this;
    this._syncing = true;
    this.update();
    try {
      const ingestion = await ragsApi(this.ctx).sync(this.resourceId);
      this._ingestion = ingestion.id;
      this.setTab('ingestions');
    } catch (error) {
      notifyError(trans, trans.__('Sync failed'), error);
    } finally {
      this._syncing = false;
    }
    await this.reload();
  }

  private async deleteRag(): Promise<void> {
    const r = this.resource;
    if (!r || !(await confirmDelete(this.trans.__('RAG'), [r.name], this.trans))) {
      return;
    }
    try {
      await ragsApi(this.ctx).remove(r.id);
      void this.ctx.app.commands.execute(RagCommandIDs.openRags);
    } catch (error) {
      notifyError(this.trans, this.trans.__('Delete failed'), error);
    }
    await this.reload();
  }

  private _version = 0;
  private _ingestion: string | null = null;
  private _syncing = false;
}

/** The settings of a RAG, its query URL, how to call it, and its prompt template. */
function RagOverview(props: { rag: IRag }): JSX.Element {
  const trans = useTrans();
  const { rag: r } = props;
  const [showPrompt, setShowPrompt] = React.useState(false);
  const store = r.vector_store ?? { type: '' };
  const llm = r.llm ?? { type: '' };
  const llmRows: DetailRows =
    llm.type === 'endpoint'
      ? [[trans.__('LLM'), <span data-role="llm">{trans.__('Endpoint %1', llm.endpoint ?? '')}</span>]]
      : [
          [trans.__('LLM'), <span data-role="llm">{trans.__('External OpenAI-compatible API')}</span>],
          [trans.__('Base URL'), <code>{llm.base_url ?? ''}</code>],
          [trans.__('Model name'), llm.model ?? ''],
          [trans.__('API key'), llm.api_key_set ? trans.__('set (stored encrypted)') : trans.__('not set')]
        ];
  const isDefault = r.default_prompt_template !== undefined && r.prompt_template === r.default_prompt_template;
  const rows: DetailRows = [
    ...identityRows(trans, r),
    [trans.__('Status'), <StatusBadge status={r.status} title={r.status_reason} />],
    [trans.__('Reason'), r.status_reason],
    [trans.__('API Gateway status'), r.gateway_status ? <StatusBadge status={r.gateway_status} /> : ''],
    [trans.__('Query URL'), <UrlWithCopy url={r.query_url} role="query-url" />],
    [trans.__('OpenAI base URL'), <UrlWithCopy url={openaiBaseUrl(r)} role="openai-base-url" />],
    [trans.__('Instance type'), r.instance_type ? `${r.instance_type} × ${r.instance_count ?? 1}` : ''],
    [trans.__('Vector store type'), <span data-role="store-type">{store.type}</span>],
    ...(store.type === 'pgvector' ? ([[trans.__('Connection URL'), <code>{store.url ?? ''}</code>]] as DetailRows) : []),
    [trans.__('Ingestion data path'), <code data-role="data-path">{r.data_path}</code>],
    [trans.__('Chunking'), trans.__('%1 characters, %2 overlapping', r.chunking?.size ?? '-', r.chunking?.overlap ?? '-')],
    [trans.__('Retrieval'), `${r.retrieval?.mode ?? ''} · top-k ${r.retrieval?.top_k ?? ''}`],
    [
      trans.__('Embedding model'),
      `${r.embedding?.model ?? ''}${r.embedding?.dimension ? ` (${r.embedding.dimension}d)` : ''}${
        r.embedding?.instance_type ? ` · ${r.embedding.instance_type} × ${r.embedding.instance_count ?? 1}` : ''
      }`
    ],
    ...llmRows,
    [
      trans.__('Prompt template'),
      <span className="jp-EasyMaker-inlineControls">
        <span>{isDefault ? trans.__('default') : trans.__('custom')}</span>
        <button type="button" className="jp-EasyMaker-button" data-action="view-prompt" aria-expanded={showPrompt} onClick={() => setShowPrompt(!showPrompt)}>
          {showPrompt ? trans.__('Hide content') : trans.__('View content')}
        </button>
      </span>
    ],
    [trans.__('Log management'), r.log_enabled ? trans.__('On') : trans.__('Off')],
    [trans.__('Files / chunks'), filesAndChunks(r)],
    [trans.__('Last ingestion'), <LastIngestionCell rag={r} />],
    [trans.__('Created'), formatTime(r.created_at)],
    [trans.__('Updated'), formatTime(r.updated_at)]
  ];
  return (
    <div className="jp-EasyMaker-overview" data-role="overview">
      <DetailTable rows={rows} />
      {showPrompt ? (
        <pre className="jp-EasyMaker-json" data-role="prompt-template" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', maxWidth: 1100 }}>
          {r.prompt_template}
        </pre>
      ) : null}
      {r.query_url ? (
        <>
          <Snippet title={trans.__('Call the RAG with curl')} code={curlExample(r, EXAMPLE_QUESTION)} role="curl-example" />
          <Snippet title={trans.__('Call the RAG with the openai Python package')} code={pythonExample(r, EXAMPLE_QUESTION)} role="python-example" />
          <p className="jp-EasyMaker-help">
            {trans.__('Set EASYMAKER_API_KEY to an API key of this RAG (API keys tab). Streamed answers carry the passages in the first chunk\'s "sources"; whole answers next to "choices".')}
          </p>
        </>
      ) : null}
    </div>
  );
}
