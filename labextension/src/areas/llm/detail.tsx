/**
 * One LLM studio model: overview (source, name chips, context length,
 * loaded server), the fine-tuning's live progress with its loss chart (eval
 * loss too; fed by the metrics route and the change feed), logs, result
 * (eval loss before / after, perplexity, outputs), a playground while it is
 * loaded, and the status history. Load / Unload / Stop / Restart / Delete
 * as its status allows.
 */
import * as React from 'react';

import type { IChangeEvent, IMetrics } from '../../shared/api/types';
import { ChatSessionModel } from '../../shared/components/chat/chatModel';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import type { ITrans } from '../../shared/i18n';
import { DetailRows, historyTab, overviewTab } from '../../shared/panels/detailTabs';
import { PolledLogs } from '../../shared/panels/polledLogs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatNumber, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { modelActions } from './actions';
import { ILlmModel, llmApi } from './api';
import { withPoint } from './chartData';
import { LlmCommandIDs } from './commands';
import { Chips, FinetuneProgress, LlmStatus, nameChips } from './parts';
import { LlmPlayground, newLlmChat } from './playground';
import { ProgressView, ResultView } from './progress';
import { llmSettled, statusLabelKo } from './statuses';

export class LlmModelDetailPanel extends ResourceDetailPanel<ILlmModel> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { api: llmApi(ctx), id, finalStatuses: llmSettled(), name: 'llm-model', tab });
    this.title.label = ctx.trans.__('LLM model');
    this.chat = null;
  }

  /** The playground's conversation (made when the tab is first shown). */
  chat: ChatSessionModel | null;

  get metrics(): IMetrics | null {
    return this._metrics;
  }

  async reloadMetrics(): Promise<void> {
    const now = Date.now();
    if (now - this._metricsAt < 800) {
      return;
    }
    this._metricsAt = now;
    try {
      this._metrics = await llmApi(this.ctx).metrics(this.resourceId);
      this._metricsError = null;
    } catch (error) {
      this._metricsError = errorText(error);
    }
    this.update();
  }

  protected onLoaded(resource: ILlmModel): void {
    // the record's progress is the newest point: the chart shows it before the metrics are re-read
    const p = resource.progress;
    if (p && resource.status === 'TRAINING') {
      this._metrics = withPoint(this._metrics, p.step, { loss: p.loss, eval_loss: p.eval_loss, tokens_per_s: p.tokens_per_s });
    }
    super.onLoaded(resource);
  }

  /** New log lines are new metric points: re-read the metrics and the progress. */
  protected onOwnEvent(event: IChangeEvent): boolean {
    if (event.change !== 'logs') {
      return false;
    }
    if (this.seen) {
      void this.reloadMetrics();
      void this.reload();
    }
    return true;
  }

  protected onTabShown(tab: string): void {
    if (tab === 'progress' || tab === 'result') {
      void this.reloadMetrics();
    }
  }

  protected statusDetail(m: ILlmModel): string {
    return m.status_reason && m.status !== 'TRAINED' && m.status !== 'RUNNING' ? m.status_reason.slice(0, 120) : '';
  }

  protected headerExtra(m: ILlmModel): React.ReactNode {
    return (
      <>
        <span className="jp-EasyMaker-help" data-role="status-ko">
          {statusLabelKo(m)}
        </span>
        {m.status === 'TRAINING' ? <FinetuneProgress model={m} /> : null}
      </>
    );
  }

  protected actions(m: ILlmModel): IToolbarAction[] {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    const actions = modelActions(ctx, [m], action => {
      if (action === 'delete') {
        this.close();
      } else {
        void this.reload();
      }
    });
    return [
      { id: 'refresh', label: trans.__('Refresh'), onClick: () => void this.reload() },
      ...actions,
      {
        id: 'finetune',
        label: trans.__('Fine-tune'),
        disabled: m.status === 'TRAINING' || m.kind === 'embedding',
        onClick: () => void commands.execute(LlmCommandIDs.createFinetuning, { base_model: m.name })
      }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const m = this.resource as ILlmModel;
    const tuned = m.type === 'fine-tuned';
    const tabs: IDetailTab[] = [overviewTab(trans, m, overviewRows(trans, m))];
    if (tuned) {
      tabs.push(
        {
          id: 'progress',
          label: trans.__('Progress'),
          render: () => <ProgressView model={m} metrics={this._metrics} error={this._metricsError} />
        },
        {
          id: 'logs',
          label: trans.__('Logs'),
          render: () => (
            <PolledLogs fetch={after => llmApi(ctx).logs(m.id, after)} isFinal={s => s !== 'TRAINING'} filename={`${m.name}.log`} />
          )
        },
        { id: 'result', label: trans.__('Result'), disabled: !m.result, render: () => <ResultView model={m} /> }
      );
    }
    tabs.push({
      id: 'playground',
      label: trans.__('Playground'),
      disabled: m.kind === 'embedding',
      render: () => {
        if (!this.chat) {
          this.chat = newLlmChat(ctx, m.name);
        }
        return <LlmPlayground ctx={ctx} session={this.chat} />;
      }
    });
    tabs.push(historyTab(trans, m.history));
    return tabs;
  }

  private _metrics: IMetrics | null = null;
  private _metricsError: string | null = null;
  private _metricsAt = 0;
}

function overviewRows(trans: ITrans, m: ILlmModel): DetailRows {
  const source = m.source ?? {};
  const ft = m.finetune;
  const rows: DetailRows = [
    [trans.__('Status'), <LlmStatus model={m} />],
    [trans.__('Reason'), m.status_reason],
    [trans.__('Type'), m.type === 'fine-tuned' ? trans.__('fine-tuned') : trans.__('base')],
    [trans.__('Kind'), m.kind],
    [trans.__('Format'), m.format],
    [trans.__('Name info'), <Chips chips={nameChips(m.name_info, m.format)} />],
    [trans.__('Parameters'), m.parameters_label ?? ''],
    [trans.__('Context length'), m.context_length ? formatNumber(m.context_length) : ''],
    [trans.__('Path'), source.path ? <code data-role="source-path">{source.path}</code> : ''],
    [trans.__('Hugging Face id'), source.hf_id ? `${source.hf_id}${source.revision ? `@${source.revision}` : ''}` : ''],
    [trans.__('Hugging Face token'), source.has_token ? trans.__('set (stored encrypted)') : '']
  ];
  if (m.base_model) {
    rows.push([trans.__('Base model'), m.base_model]);
  }
  if (ft) {
    rows.push(
      [trans.__('Method'), (ft.method ?? '').toUpperCase()],
      [trans.__('LoRA'), ft.lora ? `r=${ft.lora.r ?? '-'} alpha=${ft.lora.alpha ?? '-'} dropout=${ft.lora.dropout ?? '-'} · ${Array.isArray(ft.lora.target_modules) ? ft.lora.target_modules.join(', ') : ft.lora.target_modules ?? ''}` : ''],
      [trans.__('Training data'), ft.data_path ? <code>{ft.data_path}</code> : ''],
      [trans.__('Validation'), ft.validation_path ? <code>{ft.validation_path}</code> : typeof ft.validation_split === 'number' ? trans.__('%1 of the data', `${Math.round(ft.validation_split * 100)}%`) : ''],
      [trans.__('Training settings'), ft.training ? <code>{JSON.stringify(ft.training)}</code> : ''],
      [trans.__('Instance type'), ft.instance_type ?? '']
    );
  }
  const loaded = m.loaded;
  if (loaded) {
    rows.push(
      [trans.__('Loaded at'), formatTime(loaded.loaded_at)],
      [trans.__('Last used'), formatTime(loaded.last_used_at)],
      [trans.__('Keep alive (seconds)'), loaded.keep_alive_seconds ?? ''],
      [trans.__('Instance type'), loaded.instance_type ?? '']
    );
  }
  rows.push([trans.__('Backend'), m.backend ?? ''], [trans.__('Created'), formatTime(m.created_at)], [trans.__('Updated'), formatTime(m.updated_at)]);
  return rows;
}

