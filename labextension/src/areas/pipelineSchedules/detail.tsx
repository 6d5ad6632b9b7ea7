/** One pipeline schedule: the runs it started, its overview (trigger, next run, settings), status history. */
import * as React from 'react';

import type { IChangeEvent } from '../../shared/api/types';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { notifyError } from '../../shared/panels/base';
import { historyTab, overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { IResourceListConfig, ResourceListView, connectListModel } from '../../shared/panels/resourceList';
import { formatTime } from '../../shared/state/format';
import { ResourceListModel } from '../../shared/state/listModel';
import { isSettled, settledOf } from '../../shared/status';
import { type IPipelineRun, pipelineRunsApi } from '../pipelines/api';
import { pipelineRunsConfig, pipelineRunsModel } from '../pipelines/list';
import { type IPipelineSchedule, pipelineSchedulesApi } from './api';
import { ScheduleCommandIDs } from './commands';
import { DISABLEABLE, ENABLEABLE } from './list';

export class ScheduleDetailPanel extends ResourceDetailPanel<IPipelineSchedule> {
  constructor(ctx: EasyMakerContext, id: string, tab = 'runs') {
    super(ctx, { api: pipelineSchedulesApi(ctx), rename: (ref, body) => pipelineSchedulesApi(ctx).update(ref, body), id, finalStatuses: settledOf('pipeline schedule'), name: 'pipeline-schedule', tab });
    this.title.label = ctx.trans.__('Pipeline schedule');
    // the runs list finds a schedule's runs by its name or id: the id survives a rename
    this.runs = pipelineRunsModel(ctx, { schedule_name: id });
    this._runsConfig = pipelineRunsConfig(ctx, { schedule_name: id });
    connectListModel(ctx, this.runs, this);
    void this.runs.refresh();
  }

  readonly runs: ResourceListModel<IPipelineRun>;

  /** A run started or ended changes the schedule's counts and next run. */
  protected watches(event: IChangeEvent): boolean {
    return event.kind === pipelineRunsApi(this.ctx).kind && (event.change === 'created' || event.change === 'status');
  }

  protected actions(s: IPipelineSchedule): IToolbarAction[] {
    const { trans, ctx } = this;
    const api = pipelineSchedulesApi(ctx);
    const act = (run: () => Promise<unknown>, what: string) =>
      void run()
        .then(() => this.reload())
        .catch(e => notifyError(trans, what, e));
    return [
      {
        id: 'enable',
        label: trans.__('Enable'),
        disabled: !ENABLEABLE.includes(s.status),
        onClick: () => act(() => api.enable(s.id), trans.__('Enable failed'))
      },
      {
        id: 'disable',
        label: trans.__('Disable'),
        disabled: !DISABLEABLE.includes(s.status),
        onClick: () => act(() => api.disable(s.id), trans.__('Disable failed'))
      },
      ...this.jobActions(s, {
        copy: () => void ctx.app.commands.execute(ScheduleCommandIDs.createSchedule, { copyFrom: s.id }),
        // a schedule with a run in progress is refused (409): the notification says so
        remove: { run: () => api.remove(s.id), allowed: isSettled('pipeline schedule', s.status), noun: trans.__('pipeline schedules') }
      })
    ];
  }

  protected statusDetail(s: IPipelineSchedule): string {
    return s.last_error ?? '';
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const s = this.resource as IPipelineSchedule;
    const values = Object.entries(s.parameters ?? {});
    return [
      { id: 'runs', label: trans.__('Runs'), render: () => <ResourceListView ctx={ctx} model={this.runs} config={this._runsConfig} /> },
      overviewTab(trans, s, [
        [trans.__('Status reason'), s.status_reason],
        [trans.__('Pipeline'), s.pipeline_name],
        [trans.__('Experiment'), s.experiment_name ?? s.experiment_id],
        [trans.__('Trigger'), <code>{s.trigger_text}</code>],
        [trans.__('Fired by'), s.fired_by],
        [trans.__('Next run'), formatTime(s.next_run_at)],
        [trans.__('Last scheduled run'), s.last_run_name ? `${s.last_run_name} (${formatTime(s.last_scheduled_at)})` : ''],
        [trans.__('Runs started'), String(s.run_count)],
        [trans.__('Runs in progress'), String(s.active_runs)],
        [trans.__('Missed periods left out'), s.skipped_count ? String(s.skipped_count) : ''],
        [trans.__('Last error'), s.last_error ? <span className="jp-EasyMaker-errorText">{s.last_error}</span> : ''],
        [trans.__('Maximum concurrent runs'), String(s.max_concurrency)],
        [trans.__('Start time'), formatTime(s.start_at)],
        [trans.__('End time'), formatTime(s.end_at)],
        [trans.__('Catch up missed runs'), s.catch_up ? trans.__('on') : trans.__('off')],
        [
          trans.__('Run parameters'),
          values.length ? (
            <span className="jp-EasyMaker-pipelineValues">
              {values.map(([k, v]) => (
                <span key={k} className="jp-EasyMaker-pipelineValue" data-parameter={k}>
                  <code>{k}</code> = <code>{typeof v === 'string' ? v : JSON.stringify(v)}</code>
                </span>
              ))}
            </span>
          ) : (
            ''
          )
        ],
        [trans.__('Instance type'), s.instance_type],
        [trans.__('Number of instances'), String(s.instance_count)],
        [trans.__('Created'), formatTime(s.created_at)]
      ]),
      historyTab(trans, s.history)
    ];
  }

  private _runsConfig: IResourceListConfig<IPipelineRun>;
}
