/**
 * The Pipelines panel: the uploaded pipelines and the pipeline runs, each a
 * live table (two tabs of one panel). The runs table is offered to other
 * areas too (a schedule's runs).
 */
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { useNow } from '../../shared/components/hooks';
import { StatusBadge } from '../../shared/components/StatusBadge';
import { Tabs } from '../../shared/components/Tabs';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListView, connectListModel } from '../../shared/panels/resourceList';
import { formatElapsed, parseTime } from '../../shared/state/format';
import { ResourceListModel } from '../../shared/state/listModel';
import { clockRuns, statusesOf } from '../../shared/status';
import { type IPipeline, type IPipelineRun, type ITaskCounts, pipelineRunsApi, pipelinesApi } from './api';
import { PipelineCommandIDs } from './commands';
import { TASK_STATES } from './graph';
import { openUploadDialog } from './upload';

/** Upload a pipeline, then open it. */
export async function uploadPipeline(ctx: EasyMakerContext): Promise<void> {
  const pipeline = await openUploadDialog(ctx);
  if (pipeline) {
    void ctx.app.commands.execute(PipelineCommandIDs.openPipeline, { id: pipeline.id });
  }
}

export function pipelinesModel(ctx: EasyMakerContext): ResourceListModel<IPipeline> {
  return new ResourceListModel<IPipeline>({ fetch: params => pipelinesApi(ctx).list(params), kind: pipelinesApi(ctx).kind });
}

export function pipelinesConfig(ctx: EasyMakerContext): IResourceListConfig<IPipeline> {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const open = (row: IPipeline) => void commands.execute(PipelineCommandIDs.openPipeline, { id: row.id });
  return {
    area: 'pipelines',
    statuses: statusesOf('pipeline'),
    empty: trans.__('No pipelines yet. Upload one compiled by kfp with "Upload pipeline" or %easymaker pipeline upload.'),
    open,
    actions: selected => {
      const actions = standardActions(ctx, selected, {
        kind: 'pipeline',
        createLabel: trans.__('Upload pipeline'),
        create: () => void uploadPipeline(ctx),
        remove: {
          run: p => pipelinesApi(ctx).remove(p.id),
          blocked: trans.__('A pipeline can be deleted once it is ACTIVE or its creation failed'),
          noun: trans.__('pipelines')
        }
      });
      const one = selected.length === 1 ? selected[0] : null;
      actions.splice(1, 0, {
        id: 'run',
        label: trans.__('Create run'),
        disabled: !one || one.status !== 'ACTIVE',
        title: trans.__('Run the selected ACTIVE pipeline'),
        onClick: () => void commands.execute(PipelineCommandIDs.createPipelineRun, { pipeline: one!.name })
      });
      return actions;
    },
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: p => <NameCell name={p.name} description={p.description} onOpen={() => open(p)} /> },
      { id: 'status', label: trans.__('Status'), width: '170px', sortKey: 'status', render: p => <StatusBadge status={p.status} title={p.status_reason} /> },
      { id: 'pipeline', label: trans.__('Pipeline name (IR)'), width: 'minmax(120px, 1fr)', render: p => p.pipeline_name },
      { id: 'tasks', label: trans.__('Tasks'), width: '60px', render: p => String(p.summary?.task_count ?? '') },
      {
        id: 'features',
        label: trans.__('Features'),
        width: 'minmax(140px, 1.5fr)',
        render: p => <span className="jp-EasyMaker-pipelineFeatures">{(p.summary?.features ?? []).join(', ')}</span>
      },
      { id: 'runs', label: trans.__('Runs'), width: '60px', render: p => String(p.run_count ?? 0) },
      { id: 'sdk', label: trans.__('SDK version'), width: '110px', render: p => p.sdk_version },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: p => <TimeCell value={p.created_at} /> }
    ]
  };
}

/** Runs of one pipeline or of one schedule (name or id), or all. */
export interface IRunsFilter {
  pipeline_name?: string;
  schedule_name?: string;
}

export function pipelineRunsModel(ctx: EasyMakerContext, filter: IRunsFilter = {}): ResourceListModel<IPipelineRun> {
  const api = pipelineRunsApi(ctx);
  return new ResourceListModel<IPipelineRun>({
    fetch: params => (filter.pipeline_name || filter.schedule_name ? api.listOf(filter, params) : api.list(params)),
    kind: api.kind
  });
}

/** Done tasks out of all, with a bar of their states' colours. */
export function TaskCountsCell(props: { counts: ITaskCounts | undefined }): JSX.Element {
  const counts = props.counts ?? { total: 0, by_state: {} };
  const done = ['SUCCEEDED', 'CACHED', 'SKIPPED', 'FAILED', 'CANCELED'].reduce((n, s) => n + (counts.by_state[s] ?? 0), 0);
  const shown = TASK_STATES.filter(s => counts.by_state[s]);
  return (
    <span className="jp-EasyMaker-taskCounts" title={shown.map(s => `${s} ${counts.by_state[s]}`).join(', ')} data-done={done} data-total={counts.total}>
      <span className="jp-EasyMaker-taskCounts-bar">
        {shown.map(s => (
          <span key={s} className={`jp-EasyMaker-taskCounts-part jp-mod-state-${s.toLowerCase()}`} style={{ flexGrow: counts.by_state[s] }} />
        ))}
      </span>
      <span className="jp-EasyMaker-taskCounts-text">{counts.total ? `${done}/${counts.total}` : '-'}</span>
    </span>
  );
}

/** Elapsed time of a run, ticking while it runs. */
export function RunElapsed(props: { run: IPipelineRun }): JSX.Element {
  const { run } = props;
  const active = clockRuns('pipeline run', run.status) && !run.finished_at && !!run.started_at;
  const now = useNow(1000, active);
  const started = parseTime(run.started_at);
  const seconds = active && started !== null ? Math.max(0, (now - started) / 1000) : run.elapsed_seconds;
  return <span className="jp-EasyMaker-elapsed">{formatElapsed(seconds)}</span>;
}

/** Create, stop, copy and delete on the selected runs. */
export function pipelineRunActions(ctx: EasyMakerContext, selected: IPipelineRun[], filter: IRunsFilter = {}): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  return standardActions(ctx, selected, {
    kind: 'pipeline run',
    createLabel: trans.__('Create run'),
    create: () => void commands.execute(PipelineCommandIDs.createPipelineRun, filter.pipeline_name ? { pipeline: filter.pipeline_name } : {}),
    stop: { run: r => pipelineRunsApi(ctx).stop(r.id), title: trans.__('Stop the selected pipeline runs (a stopped run cannot be resumed)') },
    copy: { run: r => void commands.execute(PipelineCommandIDs.createPipelineRun, { copyFrom: r.id }) },
    remove: {
      run: r => pipelineRunsApi(ctx).remove(r.id),
      blocked: trans.__('Pipeline runs in progress must be stopped before they can be deleted'),
      noun: trans.__('pipeline runs')
    }
  });
}

export function pipelineRunsConfig(ctx: EasyMakerContext, filter: IRunsFilter = {}): IResourceListConfig<IPipelineRun> {
  const { trans } = ctx;
  const open = (row: IPipelineRun) => void ctx.app.commands.execute(PipelineCommandIDs.openPipelineRun, { id: row.id });
  return {
    area: 'pipeline-runs',
    statuses: statusesOf('pipeline run'),
    empty: filter.schedule_name ? trans.__('This schedule has not started a run yet.') : trans.__('No pipeline runs yet. Start one with "Create run".'),
    open,
    actions: selected => pipelineRunActions(ctx, selected, filter),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: r => <NameCell name={r.name} description={r.description} onOpen={() => open(r)} /> },
      { id: 'status', label: trans.__('Status'), width: '200px', sortKey: 'status', render: r => <StatusBadge status={r.status} title={r.status_reason} /> },
      { id: 'tasks', label: trans.__('Tasks'), width: '140px', render: r => <TaskCountsCell counts={r.tasks} /> },
      { id: 'pipeline', label: trans.__('Pipeline'), width: 'minmax(110px, 1fr)', render: r => r.pipeline_name },
      { id: 'experiment', label: trans.__('Experiment'), width: 'minmax(100px, 1fr)', render: r => r.experiment_name ?? '' },
      { id: 'schedule', label: trans.__('Schedule'), width: 'minmax(80px, 1fr)', render: r => r.schedule_name ?? '' },
      { id: 'elapsed', label: trans.__('Elapsed'), width: '80px', render: r => <RunElapsed run={r} /> },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: r => <TimeCell value={r.created_at} /> }
    ]
  };
}

export type PipelinesTab = 'pipelines' | 'runs';

/** The panel of the area: pipelines and runs as tabs, each table live. */
export class PipelinesPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext) {
    super(ctx);
    this.id = 'jp-EasyMaker-pipelines';
    this.title.label = ctx.trans.__('Pipelines');
    this.addClass('jp-EasyMaker-listPanel');
    this.addClass('jp-EasyMaker-pipelinesPanel');
    this.pipelines = pipelinesModel(ctx);
    this.runs = pipelineRunsModel(ctx);
    this.pipelinesConfig = pipelinesConfig(ctx);
    this.runsConfig = pipelineRunsConfig(ctx);
    connectListModel(ctx, this.pipelines, this);
    connectListModel(ctx, this.runs, this);
    void this.pipelines.refresh();
    void this.runs.refresh();
  }

  readonly pipelines: ResourceListModel<IPipeline>;
  readonly runs: ResourceListModel<IPipelineRun>;
  readonly pipelinesConfig: IResourceListConfig<IPipeline>;
  readonly runsConfig: IResourceListConfig<IPipelineRun>;

  get tab(): PipelinesTab {
    return this._tab;
  }

  setTab(tab: PipelinesTab): void {
    this._tab = tab;
    void (tab === 'runs' ? this.runs : this.pipelines).refresh();
    this.update();
  }

  protected renderPanel(): JSX.Element {
    return <PipelinesView panel={this} />;
  }

  private _tab: PipelinesTab = 'pipelines';
}

function PipelinesView(props: { panel: PipelinesPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  return (
    <div className="jp-EasyMaker-pipelinesBody" data-tab={panel.tab}>
      <Tabs
        tabs={[
          { id: 'pipelines', label: trans.__('Pipelines') },
          { id: 'runs', label: trans.__('Pipeline runs') }
        ]}
        active={panel.tab}
        onChange={id => panel.setTab(id as PipelinesTab)}
      />
      {panel.tab === 'pipelines' ? (
        <ResourceListView ctx={panel.ctx} model={panel.pipelines} config={panel.pipelinesConfig} />
      ) : (
        <ResourceListView ctx={panel.ctx} model={panel.runs} config={panel.runsConfig} />
      )}
    </div>
  );
}
