/** The Templates area (training templates). */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { templatesApi, type ITemplate } from './api';

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
  const actions = standardActions(ctx, selected, {
    kind: 'training template',
    createLabel: trans.__('Create template'),
    create: () => void commands.execute(CommandIDs.createTemplate, {}),
    copy: { run: t => void commands.execute(CommandIDs.createTemplate, { copyFrom: t.id }) },
    remove: { run: t => templatesApi(ctx).remove(t.id), blocked: '', noun: trans.__('templates') }
  });
  actions.push({
    id: 'use',
    label: trans.__('Create training'),
    disabled: selected.length !== 1,
    title: trans.__('Create a training from this template'),
    onClick: () => void commands.execute(CommandIDs.createTraining, { templateId: selected[0].id })
  });
  return actions;
}

export function createTemplatesPanel(ctx: EasyMakerContext): ResourceListPanel<ITemplate> {
  const { trans } = ctx;
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
  return createListPanel(ctx, templatesApi(ctx), config, { id: 'jp-EasyMaker-templates', title: trans.__('Templates') });
}
