/** One batch inference: overview, progress and usage, results, logs and status history. */
import * as React from 'react';

import type { IBatchInference, IBatchMonitoring } from '../../api/batch';
import type { IMetrics } from '../../api/types';
import { CommandIDs } from '../../commands';
import type { IToolbarAction } from '../../components/ListToolbar';
import type { EasyMakerContext } from '../../context';
import { formatElapsed, formatTime } from '../../state/format';
import { errorText } from '../../state/listModel';
import { isStoppable, settledOf } from '../../status';
import { DetailTable } from '../base';
import { ProgressCell, StatusHistory } from '../cells';
import { MonitoringView } from '../metricsViews';
import { PolledLogs } from '../polledLogs';
import { IDetailTab, ResourceDetailPanel } from '../resourceDetail';
import { BatchOutputs } from './outputs';

export class BatchDetailPanel extends ResourceDetailPanel<IBatchInference> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { api: ctx.api.batchInferences, id, finalStatuses: settledOf('batch inference'), name: 'batch-inference', tab });
    this.title.label = ctx.trans.__('Batch inference');
  }

  protected onTabShown(tab: string): void {
    if (tab === 'progress') {
      this.ctx.api.batchInferences
        .monitoring(this.resourceId)
        .then(m => ((this._monitoring = m), (this._monitoringError = null)))
        .catch(e => (this._monitoringError = errorText(e)))
        .finally(() => this.update());
    }
  }

  protected actions(b: IBatchInference): IToolbarAction[] {
    const { trans, ctx } = this;
    const api = ctx.api.batchInferences;
    return this.jobActions(b, {
      stop: { run: () => api.stop(b.id), allowed: isStoppable('batch inference', b.status) },
      copy: () => void ctx.app.commands.execute(CommandIDs.createBatchInference, { copyFrom: b.id }),
      remove: { run: () => api.remove(b.id), allowed: this.isFinal(b), noun: trans.__('batch inferences') }
    });
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const b = this.resource as IBatchInference;
    const spec = b.spec ?? {};
    const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(', ') : '');
    const usage: IMetrics = { metrics: [], usage: this._monitoring?.usage ?? [] };
    return [
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <DetailTable
            rows={[
              [trans.__('Name'), b.name],
              [trans.__('ID'), <code>{b.id}</code>],
              [trans.__('Description'), b.description],
              [
                trans.__('Model'),
                <button type="button" className="jp-EasyMaker-name" onClick={() => void ctx.app.commands.execute(CommandIDs.openModel, { id: b.model_id })}>
                  {b.model_name ?? b.model_id}
                </button>
              ],
              [trans.__('Progress (records)'), <ProgressCell done={b.progress.records_done} total={b.progress.records_total} errors={b.progress.errors} />],
              [trans.__('Input path'), <code>{b.input_path || String(spec.input_path ?? '')}</code>],
              [trans.__('Input data type'), String(spec.input_format ?? '')],
              [trans.__('Include glob'), list(spec.include_glob)],
              [trans.__('Exclude glob'), list(spec.exclude_glob)],
              [trans.__('Output path'), <code>{b.output_path}</code>],
              [trans.__('Batch size'), String(spec.batch_size ?? '')],
              [trans.__('Inference timeout (seconds)'), String(spec.timeout_seconds ?? '')],
              [trans.__('Instance type'), String(spec.instance_type ?? '')],
              [trans.__('Number of instances'), String(spec.instance_count ?? '')],
              [trans.__('Number of pods'), String(spec.pod_count ?? '')],
              [trans.__('Backend'), b.backend],
              [trans.__('Elapsed'), formatElapsed(b.elapsed_seconds)],
              [trans.__('Records per second'), String(b.result?.records_per_second ?? '')],
              [trans.__('Started'), formatTime(b.started_at)],
              [trans.__('Finished'), formatTime(b.finished_at)]
            ]}
          />
        )
      },
      {
        id: 'progress',
        label: trans.__('Monitoring'),
        render: () => (
          <div>
            <div className="jp-EasyMaker-bigProgress">
              <ProgressCell done={b.progress.records_done} total={b.progress.records_total} errors={b.progress.errors} />
            </div>
            <MonitoringView metrics={usage} error={this._monitoringError} />
          </div>
        )
      },
      { id: 'results', label: trans.__('Results'), render: () => <BatchOutputs api={ctx.api.batchInferences} batch={b} /> },
      {
        id: 'logs',
        label: trans.__('Logs'),
        render: () => (
          <PolledLogs fetch={after => ctx.api.batchInferences.logs(b.id, after)} finalStatuses={settledOf('batch inference')} filename={`${b.name}.log`} />
        )
      },
      { id: 'history', label: trans.__('Status history'), render: () => <StatusHistory history={b.history} /> }
    ];
  }

  private _monitoring: IBatchMonitoring | null = null;
  private _monitoringError: string | null = null;
}
