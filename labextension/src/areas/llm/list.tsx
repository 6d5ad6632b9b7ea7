/** The LLM studio table: base and fine-tuned models with their status, name chips and actions. */
import * as React from 'react';

import type { IChangeEvent } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { formatNumber } from '../../shared/state/format';
import { modelActions } from './actions';
import { ILlmModel, llmApi } from './api';
import { LlmCommandIDs } from './commands';
import { Chips, FinetuneProgress, LlmStatus, nameChips } from './parts';
import { LLM_KIND, isServing, llmStatuses } from './statuses';

export function llmConfig(ctx: EasyMakerContext): IResourceListConfig<ILlmModel> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: ILlmModel) => void commands.execute(LlmCommandIDs.openModel, { id: row.id });
  return {
    area: 'llm',
    statuses: llmStatuses(),
    empty: trans.__('No LLM models yet. Register a base model or start a fine-tuning.'),
    open,
    actions: selected => [
      { id: 'register', label: trans.__('Register base model'), primary: true, onClick: () => void commands.execute(LlmCommandIDs.registerModel, {}) },
      {
        id: 'finetune',
        label: trans.__('Fine-tune'),
        title: trans.__('Start a LoRA / QLoRA fine-tuning (of the selected model)'),
        onClick: () => void commands.execute(LlmCommandIDs.createFinetuning, selected.length === 1 ? { base_model: selected[0].name } : {})
      },
      ...modelActions(ctx, selected),
      {
        id: 'playground',
        label: trans.__('Playground'),
        onClick: () => void commands.execute(LlmCommandIDs.openPlayground, selected.length === 1 ? { model: selected[0].name } : {})
      },
      { id: 'templates', label: trans.__('Prompt templates'), onClick: () => void commands.execute(LlmCommandIDs.openTemplates, {}) }
    ],
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(180px, 2fr)', sortKey: 'name', render: r => <NameCell name={r.name} description={r.description} onOpen={() => open(r)} /> },
      {
        id: 'status',
        label: trans.__('Status'),
        width: 'minmax(200px, 1.3fr)',
        sortKey: 'status',
        render: r =>
          r.status === 'TRAINING' && r.progress ? (
            <span style={{ display: 'flex', gap: 6, alignItems: 'center', minWidth: 0 }}>
              <LlmStatus model={r} />
              <FinetuneProgress model={r} compact />
            </span>
          ) : (
            <LlmStatus model={r} />
          )
      },
      { id: 'type', label: trans.__('Type'), width: '90px', render: r => <span data-role="type">{r.type === 'fine-tuned' ? trans.__('fine-tuned') : trans.__('base')}</span> },
      { id: 'kind', label: trans.__('Kind'), width: '100px', render: r => <span data-role="kind">{r.kind}</span> },
      { id: 'chips', label: trans.__('Name info'), width: 'minmax(200px, 2fr)', render: r => <Chips chips={nameChips(r.name_info, r.format)} oneLine /> },
      { id: 'params', label: trans.__('Parameters'), width: '90px', render: r => r.parameters_label ?? '-' },
      { id: 'context', label: trans.__('Context length'), width: '110px', render: r => (r.context_length ? formatNumber(r.context_length) : '-') },
      { id: 'base', label: trans.__('Base model'), width: 'minmax(120px, 1fr)', render: r => r.base_model ?? '-' },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: r => <TimeCell value={r.created_at} /> }
    ]
  };
}

export function createLlmPanel(ctx: EasyMakerContext): ResourceListPanel<ILlmModel> {
  const panel = createListPanel(ctx, llmApi(ctx), llmConfig(ctx), { id: 'jp-EasyMaker-llm', title: ctx.trans.__('LLM studio') });
  // a fine-tuning's log lines are its progress: re-read the rows in view, at most once a second
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const onChange = (_: unknown, event: IChangeEvent) => {
    if (event.kind !== LLM_KIND || event.change !== 'logs' || timer !== null) {
      return;
    }
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      panel.model.scheduleRefresh();
    }, Math.max(0, 1000 - (Date.now() - last)));
  };
  ctx.feed.changed.connect(onChange);
  // a loaded model whose server is still starting: look again until it answers
  const poll = setInterval(() => {
    const total = Math.min(panel.model.total ?? 0, 300);
    for (let i = 0; i < total; i++) {
      const m = panel.model.rowAt(i);
      if (m && m.status === 'RUNNING' && !isServing(m)) {
        if (panel.seen) {
          void panel.model.refresh();
        }
        return;
      }
    }
  }, 2000);
  panel.disposed.connect(() => {
    ctx.feed.changed.disconnect(onChange);
    clearInterval(poll);
    if (timer !== null) {
      clearTimeout(timer);
    }
  });
  return panel;
}
