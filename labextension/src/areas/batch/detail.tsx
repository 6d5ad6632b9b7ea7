/** One batch inference: overview, progress and usage, results, logs and status history. */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IMetrics } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { ProgressCell } from '../../shared/panels/cells';
import { CommandLink, DetailRows } from '../../shared/panels/detailTabs';
import { JobDetailPanel } from '../../shared/panels/jobDetail';
import { MonitoringView } from '../../shared/panels/metricsViews';
import type { IDetailTab } from '../../shared/panels/resourceDetail';
import { formatElapsed, formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { batchInferencesApi, type IBatchInference, type IBatchMonitoring } from './api';
import { BatchOutputs } from './outputs';

export class BatchDetailPanel extends JobDetailPanel<IBatchInference> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, {
      api: batchInferencesApi(ctx),
      rename: (ref, body) => batchInferencesApi(ctx).update(ref, body),
      kind: 'batch inference',
      id,
      name: 'batch-inference',
      tab,
      title: ctx.trans.__('Batch inference'),
      copyCommand: CommandIDs.createBatchInference,
      noun: ctx.trans.__('batch inferences')
    });
  }

  protected onTabShown(tab: string): void {
    if (tab === 'progress') {
      batchInferencesApi(this.ctx)
        .monitoring(this.resourceId)
        .then(m => ((this._monitoring = m), (this._monitoringError = null)))
        .catch(e => (this._monitoringError = errorText(e)))
        .finally(() => this.update());
    }
  }

  protected overviewRows(b: IBatchInference): DetailRows {
    const { trans } = this;
    const spec = b.spec ?? {};
    const list = (v: unknown) => (Array.isArray(v) && v.length ? v.join(', ') : '');
    return [
      [trans.__('Model'), <CommandLink label={b.model_name ?? b.model_id} onClick={() => void this.ctx.app.commands.execute(CommandIDs.openModel, { id: b.model_id })} />],
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
    ];
  }

  protected jobTabs(b: IBatchInference): IDetailTab[] {
    const { trans } = this;
    const usage: IMetrics = { metrics: [], usage: this._monitoring?.usage ?? [] };
    return [
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
      { id: 'results', label: trans.__('Results'), render: () => <BatchOutputs api={batchInferencesApi(this.ctx)} batch={b} /> }
    ];
  }

  private _monitoring: IBatchMonitoring | null = null;
  private _monitoringError: string | null = null;
}
