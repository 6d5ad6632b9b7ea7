/** One training template: overview, hyperparameters, every saved field. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { settledOf } from '../../shared/status';
import { Hyperparameters } from '../trainings/hyperparameters';
import { templatesApi, type ITemplate } from './api';
import { algorithmText } from './list';

export class TemplateDetailPanel extends ResourceDetailPanel<ITemplate> {
  constructor(ctx: EasyMakerContext, templateId: string) {
    super(ctx, { api: templatesApi(ctx), id: templateId, finalStatuses: settledOf('training template'), name: 'template' });
    this.title.label = ctx.trans.__('Template');
  }

  protected actions(t: ITemplate): IToolbarAction[] {
    const { trans } = this;
    const commands = this.ctx.app.commands;
    return [
      { id: 'use', label: trans.__('Create training'), primary: true, onClick: () => void commands.execute(CommandIDs.createTraining, { templateId: t.id }) },
      { id: 'edit', label: trans.__('Edit'), onClick: () => void commands.execute(CommandIDs.createTemplate, { editOf: t.id }) },
      { id: 'copy', label: trans.__('Copy'), onClick: () => void commands.execute(CommandIDs.createTemplate, { copyFrom: t.id }) }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const t = this.resource as ITemplate;
    return [
      overviewTab(trans, t, [
        [trans.__('Algorithm'), algorithmText(t.spec)],
        [trans.__('Instance type'), String(t.spec?.instance_type ?? '')],
        [trans.__('Created'), formatTime(t.created_at)],
        [trans.__('Updated'), formatTime(t.updated_at)]
      ]),
      {
        id: 'hyperparameters',
        label: trans.__('Hyperparameters'),
        render: () => <Hyperparameters values={t.spec?.hyperparameters ?? {}} />
      },
      { id: 'spec', label: trans.__('All fields'), render: () => <pre className="jp-EasyMaker-json">{JSON.stringify(t.spec, null, 2)}</pre> }
    ];
  }
}
