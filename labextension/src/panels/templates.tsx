/** The Templates area (training templates). */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import type { ITemplate } from '../api/types';
import { CommandIDs } from '../commands';
import { confirmDelete } from '../components/dialogs';
import { StatusBadge } from '../components/StatusBadge';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { ResourceListModel } from '../state/listModel';
import { statusesOf } from '../status';
import { runOnEach } from './base';
import { NameCell, TimeCell } from './cells';
import { IResourceListConfig, ResourceListPanel } from './resourceList';

export function algorithmText(spec: ITemplate['spec'] | undefined): string {
  const a = spec?.algorithm;
  if (!a) {
    return '';
  }
  return a.type === 'builtin' ? String(a.name ?? '') : String(a.entry_point ?? '');
}

export function templateActions(ctx: EasyMakerContext, selected: ITemplate[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  return [
    {
      id: 'create',
      label: trans.__('Create template'),
      primary: true,
      onClick: () => void commands.execute(CommandIDs.createTemplate, {})
    },
    {
      id: 'use',
      label: trans.__('Create training'),
      disabled: selected.length !== 1,
      title: trans.__('Create a training from this template'),
      onClick: () => void commands.execute(CommandIDs.createTraining, { templateId: selected[0].id })
    },
    {
      id: 'copy',
      label: trans.__('Copy'),
      disabled: selected.length === 0 || selected.length > 10,
      onClick: () => {
        for (const t of selected) {
          void commands.execute(CommandIDs.createTemplate, { copyFrom: t.id });
        }
      }
    },
    {
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: selected.length === 0,
      onClick: async () => {
        if (!(await confirmDelete(trans.__('templates'), selected.map(t => t.name), trans))) {
          return;
        }
        const n = await runOnEach(selected, t => ctx.api.templates.remove(t.id), trans, trans.__('Delete failed'));
        if (n) {
          Notification.success(trans.__('%1 deleted', n), { autoClose: 3000 });
        }
      }
    }
  ];
}

export function createTemplatesPanel(ctx: EasyMakerContext): ResourceListPanel<ITemplate> {
  const { trans } = ctx;
  const model = new ResourceListModel<ITemplate>({
    fetch: params => ctx.api.templates.list(params),
    kind: ctx.api.templates.kind
  });
  const open = (row: ITemplate) => void ctx.app.commands.execute(CommandIDs.openTemplate, { id: row.id });
  const config: IResourceListConfig<ITemplate> = {
    area: 'training-templates',
    statuses: statusesOf('training template'),
    empty: trans.__('No templates yet. Create one with "Create template" or save a training as a template.'),
    open,
    actions: selected => templateActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: t => <NameCell name={t.name} description={t.description} onOpen={() => open(t)} /> },
      { id: 'status', label: trans.__('Status'), width: '100px', sortKey: 'status', render: t => <StatusBadge status={t.status} /> },
      { id: 'algorithm', label: trans.__('Algorithm'), width: 'minmax(120px, 1fr)', render: t => algorithmText(t.spec) },
      { id: 'hyperparameters', label: trans.__('Hyperparameters'), width: '120px', render: t => String((t.hyperparameter_names ?? []).length) },
      { id: 'description', label: trans.__('Description'), width: 'minmax(120px, 2fr)', render: t => t.description },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: t => <TimeCell value={t.created_at} /> }
    ]
  };
  const panel = new ResourceListPanel(ctx, model, config);
  panel.id = 'jp-EasyMaker-templates';
  panel.title.label = trans.__('Templates');
  return panel;
}
