/** One model: overview (framework, artifact, source, parameters), artifact check and status history. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { DetailTable } from '../../shared/panels/base';
import { CommandLink, historyTab, overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { settledOf } from '../../shared/status';
import type { IModel } from './api';
import { modelsApi } from './api';

export class ModelDetailPanel extends ResourceDetailPanel<IModel> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { api: modelsApi(ctx), rename: (ref, body) => modelsApi(ctx).update(ref, body), id, finalStatuses: settledOf('model'), name: 'model', tab });
    this.title.label = ctx.trans.__('Model');
  }

  protected actions(m: IModel): IToolbarAction[] {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    const active = m.status === 'ACTIVE';
    return [
      { id: 'deploy', label: trans.__('Create endpoint'), primary: true, disabled: !active, onClick: () => void commands.execute(CommandIDs.createEndpoint, { modelId: m.id }) },
      { id: 'batch', label: trans.__('Batch inference'), disabled: !active, onClick: () => void commands.execute(CommandIDs.createBatchInference, { modelId: m.id }) },
      { id: 'evaluate', label: trans.__('Evaluate'), disabled: !active, onClick: () => void commands.execute(CommandIDs.createEvaluation, { modelId: m.id }) },
      ...this.jobActions(m, {
        copy: () => void commands.execute(CommandIDs.createModel, { copyFrom: m.id }),
        remove: { run: () => modelsApi(ctx).remove(m.id), allowed: this.isFinal(m), noun: trans.__('models') }
      })
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const m = this.resource as IModel;
    const commands = ctx.app.commands;
    const link = (label: string, onClick: () => void) => <CommandLink label={label} onClick={onClick} />;
    const parameters = Object.entries(m.parameters ?? {});
    const info = Object.entries(m.artifact_info ?? {});
    return [
      overviewTab(trans, m, [
        [trans.__('Framework'), m.framework],
        [trans.__('Framework version'), m.framework_version],
        [trans.__('Artifact path'), m.artifact_path ? <code>{m.artifact_path}</code> : ''],
        [trans.__('Model directory'), m.model_dir ? <code>{m.model_dir}</code> : ''],
        [trans.__('Hugging Face model id'), m.huggingface_model_id],
        [trans.__('Hugging Face token'), m.huggingface_token ?? ''],
        [
          trans.__('Training'),
          m.training_id ? link(m.training_name ?? m.training_id, () => void commands.execute(CommandIDs.openTraining, { id: m.training_id! })) : ''
        ],
        [
          trans.__('Hyperparameter tuning'),
          m.hyperparameter_tuning_id
            ? link(m.hyperparameter_tuning_id, () => void commands.execute(CommandIDs.openTuning, { id: m.hyperparameter_tuning_id! }))
            : ''
        ],
        [trans.__('Status'), m.status_reason || m.status],
        [trans.__('Created'), formatTime(m.created_at)]
      ]),
      {
        id: 'parameters',
        label: trans.__('Parameters'),
        render: () =>
          parameters.length ? (
            <DetailTable rows={parameters.map(([k, v]) => [k, <code>{JSON.stringify(v)}</code>])} />
          ) : (
            <div className="jp-EasyMaker-empty">{trans.__('No parameters. They reach the model server as --key value arguments and SCREAMING_SNAKE environment variables.')}</div>
          )
      },
      {
        id: 'artifact',
        label: trans.__('Artifact check'),
        render: () =>
          info.length ? (
            <DetailTable rows={info.map(([k, v]) => [k, typeof v === 'string' ? v : <code>{JSON.stringify(v)}</code>])} />
          ) : (
            <div className="jp-EasyMaker-empty">{trans.__('The artifact was not checked when the model was created.')}</div>
          )
      },
      historyTab(trans, m.history)
    ];
  }
}
