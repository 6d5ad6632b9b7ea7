/** One training template: overview, hyperparameters, every saved field. */
import * as React from 'react';

import type { ITemplate } from '../api/types';
import { CommandIDs } from '../commands';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { formatTime } from '../state/format';
import { settledOf } from '../status';
import { DetailTable } from './base';
import { IDetailTab, ResourceDetailPanel } from './resourceDetail';
import { algorithmText } from './templates';
import { Hyperparameters } from './trainingDetail';

export class TemplateDetailPanel extends ResourceDetailPanel<ITemplate> {
  constructor(ctx: EasyMakerContext, templateId: string) {
    super(ctx, { api: ctx.api.templates, id: templateId, finalStatuses: settledOf('training template'), name: 'template' });
    this.title.label = ctx.trans.__('Template');
  }

  protected actions(t: ITemplate): IToolbarAction[] {
    const { trans } = this;
    const commands = this.ctx.app.commands;
    return [
      { id: 'use', label: trans.__('Create training'), primary: true, onClick: () => void commands.execute(CommandIDs.createTraining, { templateId: t.id }) },
      { id: 'copy', label: trans.__('Copy'), onClick: () => void commands.execute(CommandIDs.createTemplate, { copyFrom: t.id }) }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const t = this.resource as ITemplate;
    return [
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <DetailTable
            rows={[
              [trans.__('Name'), t.name],
              [trans.__('ID'), <code>{t.id}</code>],
              [trans.__('Description'), t.description],
              [trans.__('Algorithm'), algorithmText(t.spec)],
              [trans.__('Instance type'), String(t.spec?.instance_type ?? '')],
              [trans.__('Created'), formatTime(t.created_at)],
              [trans.__('Updated'), formatTime(t.updated_at)]
            ]}
          />
        )
      },
      {
        id: 'hyperparameters',
        label: trans.__('Hyperparameters'),
        render: () => <Hyperparameters values={t.spec?.hyperparameters ?? {}} />
      },
      { id: 'spec', label: trans.__('All fields'), render: () => <pre className="jp-EasyMaker-json">{JSON.stringify(t.spec, null, 2)}</pre> }
    ];
  }
}
