/**
 * One pipeline run: its progress graph (each node in its task's state,
 * kept current from the change feed: the run's progress lines arrive as its
 * `logs` events; re-read every 2 s while it runs as well), a selected
 * task's state, attempts, error, log, output values and artifact
 * downloads; all tasks as a table; the pipeline's outputs and artifacts;
 * the run's CPU / memory / GPU over time (the shared monitoring view);
 * overview, logs and status history. Stop / copy / delete in the header by
 * the run's status words.
 */
import * as React from 'react';

import type { IChangeEvent } from '../../shared/api/types';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { download, saveBlob } from '../../shared/panels/download';
import { CommandLink, DetailRows } from '../../shared/panels/detailTabs';
import { JobDetailPanel } from '../../shared/panels/jobDetail';
import { MonitoringView } from '../../shared/panels/metricsViews';
import type { IDetailTab } from '../../shared/panels/resourceDetail';
import { formatBytes, formatElapsed, formatTime, parseTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { isSettled } from '../../shared/status';
import {
  type IArtifactFile,
  type IGraphNode,
  type IPipelineRun,
  type IPipelineTask,
  type IPipelineTasks,
  type IRunArtifacts,
  type IRunMonitoring,
  type ITaskOutputs,
  type PipelineRunsApi,
  pipelineRunsApi
} from './api';
import { PipelineCommandIDs } from './commands';
import { type INodeRun, nodeIdOfTask, nodeRuns } from './graph';
import { GraphWithDetails } from './graphView';
import { RunElapsed, TaskCountsCell } from './list';

/** The executor's folder of a task (`a.1/b` -> `a.1__b`), where its artifacts are. */
export function taskFolder(taskId: string): string {
  return taskId.replace(/\//g, '__');
}

/** A value of an output parameter as text (strings as they are). */
function valueText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const TASK_POLL_MS = 2000;

export class PipelineRunDetailPanel extends JobDetailPanel<IPipelineRun> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, {
      api: pipelineRunsApi(ctx),
      rename: (ref, body) => pipelineRunsApi(ctx).update(ref, body),
      kind: 'pipeline run',
      id,
      name: 'pipeline-run',
      tab: tab ?? 'graph',
      title: ctx.trans.__('Pipeline run'),
      copyCommand: PipelineCommandIDs.createPipelineRun,
      noun: ctx.trans.__('pipeline runs')
    });
    this.visibilityChanged.connect((_, seen) => {
      const run = this.resource;
      this._schedulePoll(seen && run && !isSettled('pipeline run', run.status) ? 0 : null);
    });
  }

  tasks: IPipelineTasks | null = null;
  tasksError: string | null = null;
  runs: Map<string, INodeRun> = new Map();
  artifacts: IRunArtifacts | null = null;
  monitoring: IRunMonitoring | null = null;
  monitoringError: string | null = null;
  selected: string | null = null;
  /** The selected node's task (an iteration of a loop's task). */
  selectedTask: string | null = null;

  get api(): PipelineRunsApi {
    return pipelineRunsApi(this.ctx);
  }

  select(id: string | null): void {
    this.selected = id;
    this.selectedTask = id ? this._firstTask(id) : null;
    this.update();
  }

  selectTask(taskId: string): void {
    this.selectedTask = taskId;
    this.update();
  }

  dispose(): void {
    this._schedulePoll(null);
    super.dispose();
  }

  /** A progress line of the run arrived (the job's `logs` event): re-read the tasks, not the whole run. */
  protected onOwnEvent(event: IChangeEvent): boolean {
    if (event.change === 'logs') {
      this._schedulePoll(150);
      return true;
    }
    return false;
  }

  protected onLoaded(run: IPipelineRun): void {
    super.onLoaded(run);
    void this.loadTasks();
    if (isSettled('pipeline run', run.status)) {
      // the last tasks' outputs are there now
      void this.loadArtifacts();
    }
  }

  protected onTabShown(tab: string): void {
    if (tab === 'outputs' && !this.artifacts) {
      void this.loadArtifacts();
    }
    if (tab === 'monitoring') {
      // each read of the run (its change events) brings the samples taken since
      void this.loadMonitoring();
    }
  }

  async loadMonitoring(): Promise<void> {
    try {
      this.monitoring = await this.api.monitoring(this.resourceId);
      this.monitoringError = null;
    } catch (error) {
      this.monitoringError = errorText(error);
    }
    if (!this.isDisposed) {
      this.update();
    }
  }

  async loadTasks(): Promise<void> {
    try {
      this.tasks = await this.api.tasks(this.resourceId);
      this.runs = nodeRuns(this.tasks.items);
      this.tasksError = null;
      if (this.selected && !this.selectedTask) {
        this.selectedTask = this._firstTask(this.selected);
      }
    } catch (error) {
      this.tasksError = errorText(error);
    }
    if (this.isDisposed) {
      return;
    }
    this.update();
    const run = this.resource;
    this._schedulePoll(run && !isSettled('pipeline run', run.status) ? TASK_POLL_MS : null);
  }

  async loadArtifacts(): Promise<void> {
    try {
      this.artifacts = await this.api.artifacts(this.resourceId);
    } catch {
      this.artifacts = null;
    }
    if (!this.isDisposed) {
      this.update();
    }
  }

  async downloadArtifact(path: string, name: string): Promise<void> {
    try {
      saveBlob(name, await this.api.artifact(this.resourceId, path));
    } catch (error) {
      notifyError(this.trans, this.trans.__('Download'), error);
    }
  }

  protected headerExtra(run: IPipelineRun): React.ReactNode {
    return (
      <span className="jp-EasyMaker-runHeader">
        <TaskCountsCell counts={this.tasks?.counts ?? run.tasks} /> <RunElapsed run={run} />
      </span>
    );
  }

  protected overviewRows(r: IPipelineRun): DetailRows {
    const { trans, ctx } = this;
    const commands = ctx.app.commands;
    return [
      [trans.__('Status reason'), r.status_reason],
      [
        trans.__('Pipeline'),
        r.pipeline_id ? (
          <CommandLink label={r.pipeline_name} onClick={() => void commands.execute(PipelineCommandIDs.openPipeline, { id: r.pipeline_id! })} />
        ) : (
          r.pipeline_name
        )
      ],
      [trans.__('Experiment'), r.experiment_name ?? r.experiment_id],
      [trans.__('Schedule'), r.schedule_name ?? ''],
      [trans.__('Run parameters'), <ParameterValues values={r.parameters} />],
      [trans.__('Result'), r.result?.state ?? ''],
      [trans.__('Pipeline outputs'), <OutputValues outputs={r.result?.outputs} />],
      [trans.__('Error'), r.result?.error ? <span className="jp-EasyMaker-errorText">{r.result.error}</span> : ''],
      [trans.__('Instance type'), r.instance_type],
      [trans.__('Number of instances'), String(r.instance_count)],
      [trans.__('Boot storage size (GB)'), r.boot_storage_gb ? String(r.boot_storage_gb) : ''],
      [trans.__('NAS'), r.nas?.length ? r.nas.map(n => `${n.mount_dir_name}: ${n.nas_path}`).join(', ') : ''],
      [trans.__('Log management'), r.log_management ? trans.__('on') : trans.__('off')],
      [trans.__('Use cached task outputs'), r.cache ? trans.__('on') : trans.__('off')],
      [trans.__('Backend'), r.backend],
      [trans.__('Kubeflow Pipelines run'), r.remote_run_id ?? ''],
      [trans.__('Elapsed'), formatElapsed(r.elapsed_seconds)],
      [trans.__('Started'), formatTime(r.started_at)],
      [trans.__('Finished'), formatTime(r.finished_at)],
      [trans.__('Artifacts kept until'), r.artifacts_purged ? trans.__('deleted after the retention period') : formatTime(r.artifacts_expire_at)]
    ];
  }

  protected jobTabs(r: IPipelineRun): IDetailTab[] {
    const { trans } = this;
    return [
      { id: 'graph', label: trans.__('Graph'), render: () => this._renderGraph(r) },
      { id: 'tasks', label: trans.__('Tasks'), render: () => <TasksTable panel={this} /> },
      { id: 'outputs', label: trans.__('Outputs'), render: () => <RunOutputs panel={this} run={r} /> },
      {
        id: 'monitoring',
        label: trans.__('Monitoring'),
        render: () => (
          <MonitoringView
            metrics={this.monitoring ? { metrics: [], usage: this.monitoring.usage ?? [] } : null}
            error={this.monitoringError}
          />
        )
      }
    ];
  }

  private _renderGraph(r: IPipelineRun): JSX.Element {
    const { trans } = this;
    if (!r.graph) {
      return <div className="jp-EasyMaker-empty">{trans.__('The graph of this run cannot be drawn: its pipeline is gone.')}</div>;
    }
    return (
      <>
        {this.tasksError ? (
          <div className="jp-EasyMaker-error" role="alert">
            {this.tasksError}
          </div>
        ) : null}
        <GraphWithDetails
          graph={r.graph}
          runs={this.runs}
          selected={this.selected}
          onSelect={id => this.select(id)}
          extra={node => <NodeRunDetails panel={this} node={node} />}
        />
      </>
    );
  }

  /** The node's own task (a loop's), else its first iteration's. */
  private _firstTask(id: string): string | null {
    const tasks = this.runs.get(id)?.tasks ?? [];
    return tasks.includes(id) ? id : tasks[0] ?? null;
  }

  /** Re-read the tasks in `ms` (null: stop) while the tab is seen; one timer at a time. */
  private _schedulePoll(ms: number | null): void {
    if (this._pollTimer !== null) {
      clearTimeout(this._pollTimer);
      this._pollTimer = null;
    }
    if (ms === null || this.isDisposed || !this.seen) {
      return;
    }
    this._pollTimer = setTimeout(() => {
      this._pollTimer = null;
      void this.loadTasks();
    }, ms);
  }

  private _pollTimer: ReturnType<typeof setTimeout> | null = null;
}

/** A task state in its colour. */
export function TaskState(props: { state: string }): JSX.Element {
  return (
    <span className={`jp-EasyMaker-taskState jp-mod-state-${props.state.toLowerCase()}`} data-role="task-state" data-state={props.state}>
      {props.state}
    </span>
  );
}

function ParameterValues(props: { values: { [name: string]: unknown } | undefined }): JSX.Element {
  const entries = Object.entries(props.values ?? {});
  if (!entries.length) {
    return <span>-</span>;
  }
  return (
    <span className="jp-EasyMaker-pipelineValues">
      {entries.map(([k, v]) => (
        <span key={k} className="jp-EasyMaker-pipelineValue" data-parameter={k}>
          <code>{k}</code> = <code>{valueText(v)}</code>
        </span>
      ))}
    </span>
  );
}

/** Output parameters (name = value) and artifact names of a task or of the pipeline. */
function OutputValues(props: { outputs: ITaskOutputs | undefined }): JSX.Element {
  const trans = useTrans();
  const parameters = Object.entries(props.outputs?.parameters ?? {});
  const artifacts = Object.entries(props.outputs?.artifacts ?? {});
  if (!parameters.length && !artifacts.length) {
    return <span>-</span>;
  }
  return (
    <span className="jp-EasyMaker-pipelineValues" data-role="outputs">
      {parameters.map(([k, v]) => (
        <span key={k} className="jp-EasyMaker-pipelineValue" data-output={k} data-value={valueText(v)}>
          <code>{k}</code> = <code>{valueText(v)}</code>
        </span>
      ))}
      {artifacts.map(([k, items]) => (
        <span key={`a:${k}`} className="jp-EasyMaker-pipelineValue" data-artifact={k}>
          <code>{k}</code> ({trans.__('%1 artifact(s)', items.length)})
        </span>
      ))}
    </span>
  );
}

/** Download links of a task folder's artifact files. */
function ArtifactLinks(props: { panel: PipelineRunDetailPanel; files: IArtifactFile[] }): JSX.Element {
  const trans = useTrans();
  const { panel, files } = props;
  if (!files.length) {
    return <span className="jp-EasyMaker-help">{trans.__('none')}</span>;
  }
  return (
    <ul className="jp-EasyMaker-artifactList">
      {files.map(f => (
        <li key={f.path} data-artifact-path={f.path}>
          <a
            href={panel.api.artifactUrl(panel.resourceId, f.path)}
            className="jp-EasyMaker-link"
            onClick={e => {
              e.preventDefault();
              void panel.downloadArtifact(f.path, f.path.split('/').pop() || 'artifact');
            }}
          >
            {f.path.split('/').slice(2).join('/')}
          </a>{' '}
          <span className="jp-EasyMaker-help">{formatBytes(f.size_bytes)}</span>
        </li>
      ))}
    </ul>
  );
}

function ArtifactsLoader(props: { panel: PipelineRunDetailPanel }): JSX.Element {
  const trans = useTrans();
  return (
    <button type="button" className="jp-EasyMaker-button" data-action="load-artifacts" onClick={() => void props.panel.loadArtifacts()}>
      {trans.__('List artifacts')}
    </button>
  );
}

/** What the run says about the selected node: its task (or iterations), error, log, outputs and artifacts. */
function NodeRunDetails(props: { panel: PipelineRunDetailPanel; node: IGraphNode }): JSX.Element | null {
  const trans = useTrans();
  const { panel, node } = props;
  const run = panel.runs.get(node.id);
  if (!run) {
    return (
      <div className="jp-EasyMaker-pipelineTask" data-task="">
        <span className="jp-EasyMaker-help">{trans.__('Not started yet.')}</span>
      </div>
    );
  }
  const tasks = (panel.tasks?.items ?? []).filter(t => run.tasks.includes(t.task_id));
  const task = tasks.find(t => t.task_id === panel.selectedTask) ?? tasks[0];
  if (!task) {
    return null;
  }
  const files = (panel.artifacts?.files ?? []).filter(f => f.task_folder === taskFolder(task.task_id));
  return (
    <div className="jp-EasyMaker-pipelineTask" data-task={task.task_id} data-state={task.state}>
      <h4 className="jp-EasyMaker-subTitle">{trans.__('In this run')}</h4>
      {tasks.length > 1 ? (
        <label className="jp-EasyMaker-field">
          {trans.__('Task')}
          <select className="jp-mod-styled" name="task" value={task.task_id} onChange={e => panel.selectTask(e.target.value)}>
            {tasks.map(t => (
              <option key={t.task_id} value={t.task_id}>
                {t.task_id} — {t.state}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <table className="jp-EasyMaker-details">
        <tbody>
          <tr>
            <th>{trans.__('State')}</th>
            <td>
              <TaskState state={task.state} />
              {task.attempt > 1 ? ` (${trans.__('attempt %1', task.attempt)})` : ''}
            </td>
          </tr>
          <tr>
            <th>{trans.__('Started')}</th>
            <td>{formatTime(task.started_at)}</td>
          </tr>
          <tr>
            <th>{trans.__('Ended')}</th>
            <td>{formatTime(task.ended_at)}</td>
          </tr>
          <tr>
            <th>{trans.__('Elapsed')}</th>
            <td>{taskElapsed(task)}</td>
          </tr>
          {task.jobs?.length ? (
            <tr>
              <th>{trans.__('Jobs')}</th>
              <td>
                <ul className="jp-EasyMaker-pipelineTaskJobs" data-role="task-jobs">
                  {task.jobs.map(j => (
                    <li key={j.id} data-job={j.name} data-status={j.status} title={j.status_reason || undefined}>
                      {trans.__('attempt %1', j.attempt)} <StatusBadge status={j.status} />
                      {j.exit_code !== null && j.exit_code !== undefined ? ` ${trans.__('exit code %1', j.exit_code)}` : ''}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ) : null}
          {task.error ? (
            <tr>
              <th>{trans.__('Error')}</th>
              <td className="jp-EasyMaker-errorText">{task.error}</td>
            </tr>
          ) : null}
          <tr>
            <th>{trans.__('Output values')}</th>
            <td>
              <OutputValues outputs={task.outputs} />
            </td>
          </tr>
          {node.kind !== 'dag' ? (
            <tr>
              <th>{trans.__('Artifacts')}</th>
              <td>{panel.artifacts ? <ArtifactLinks panel={panel} files={files} /> : <ArtifactsLoader panel={panel} />}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {node.kind !== 'dag' ? <TaskLogs api={panel.api} runId={panel.resourceId} task={task} /> : null}
    </div>
  );
}

function taskElapsed(task: IPipelineTask): string {
  const start = parseTime(task.started_at);
  const end = parseTime(task.ended_at);
  if (start === null) {
    return '-';
  }
  return formatElapsed(((end ?? Date.now()) - start) / 1000);
}

/** A task's log (its stdout and stderr), followed while the task runs. */
function TaskLogs(props: { api: PipelineRunsApi; runId: string; task: IPipelineTask }): JSX.Element {
  const trans = useTrans();
  const { api, runId, task } = props;
  const [lines, setLines] = React.useState<string[]>([]);
  const [error, setError] = React.useState<string | null>(null);
  const offset = React.useRef(0);
  const shownFor = React.useRef('');
  const pre = React.useRef<HTMLPreElement>(null);
  const running = task.state === 'RUNNING' || task.state === 'PENDING';
  React.useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const key = `${runId}/${task.task_id}`;
    if (shownFor.current !== key) {
      // another task: its log from the first line
      shownFor.current = key;
      offset.current = 0;
      setLines([]);
      setError(null);
    }
    const read = async () => {
      try {
        for (let page = 0; page < 20 && alive; page++) {
          const answer = await api.taskLogs(runId, task.task_id, offset.current, 1000);
          if (!alive) {
            return;
          }
          if (answer.lines.length) {
            setLines(previous => [...previous, ...answer.lines]);
          }
          offset.current = answer.next_offset ?? answer.offset + answer.lines.length;
          if (answer.next_offset === null) {
            break;
          }
        }
        setError(null);
      } catch (e) {
        if (alive) {
          setError(errorText(e));
        }
      }
      if (alive && running) {
        timer = setTimeout(() => void read(), 1500);
      }
    };
    void read();
    return () => {
      alive = false;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, [runId, task.task_id, task.state, task.attempt]);
  React.useEffect(() => {
    const node = pre.current;
    if (node) {
      node.scrollTop = node.scrollHeight;
    }
  }, [lines]);
  return (
    <div className="jp-EasyMaker-pipelineLogsBox">
      <div className="jp-EasyMaker-pipelineLogsHeader">
        <span>{trans.__('Log')}</span>
        <button
          type="button"
          className="jp-EasyMaker-button"
          data-action="download-log"
          disabled={!lines.length}
          onClick={() => download(`${taskFolder(task.task_id)}.log`, lines.join('\n') + '\n')}
        >
          {trans.__('Download')}
        </button>
      </div>
      {error ? <div className="jp-EasyMaker-fieldError">{error}</div> : null}
      <pre className="jp-EasyMaker-pipelineLogs" ref={pre} data-role="task-log">
        {lines.length ? lines.join('\n') : running ? trans.__('Waiting for output…') : trans.__('(empty)')}
      </pre>
    </div>
  );
}

/** All tasks of the run: state, attempt, times, outputs, error; a task's name shows it in the graph. */
function TasksTable(props: { panel: PipelineRunDetailPanel }): JSX.Element {
  const trans = useTrans();
  const { panel } = props;
  const items = panel.tasks?.items ?? [];
  if (!items.length) {
    return <div className="jp-EasyMaker-empty">{panel.tasksError ?? trans.__('No task has started yet.')}</div>;
  }
  return (
    <table className="jp-EasyMaker-details jp-EasyMaker-pipelineTasks" data-role="tasks">
      <thead>
        <tr>
          <th>{trans.__('Task')}</th>
          <th>{trans.__('State')}</th>
          <th>{trans.__('Attempt')}</th>
          <th>{trans.__('Started')}</th>
          <th>{trans.__('Elapsed')}</th>
          <th>{trans.__('Output values')}</th>
          <th>{trans.__('Error')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map(t => (
          <tr key={t.task_id} data-task={t.task_id} data-state={t.state}>
            <td>
              <button
                type="button"
                className="jp-EasyMaker-name"
                onClick={() => {
                  panel.select(nodeIdOfTask(t.task_id));
                  panel.selectTask(t.task_id);
                  panel.setTab('graph');
                }}
              >
                {t.task_id}
              </button>
            </td>
            <td>
              <TaskState state={t.state} />
            </td>
            <td>{t.attempt}</td>
            <td>{formatTime(t.started_at)}</td>
            <td>{taskElapsed(t)}</td>
            <td>
              <OutputValues outputs={{ parameters: t.outputs?.parameters }} />
            </td>
            <td className="jp-EasyMaker-errorText">{t.error ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function stateOfFolder(panel: PipelineRunDetailPanel, folder: string): string {
  return panel.tasks?.items.find(t => taskFolder(t.task_id) === folder)?.state ?? '';
}

/** The pipeline's outputs and every artifact file of the run, by task. */
function RunOutputs(props: { panel: PipelineRunDetailPanel; run: IPipelineRun }): JSX.Element {
  const trans = useTrans();
  const { panel, run } = props;
  const files = panel.artifacts?.files ?? [];
  const byTask = new Map<string, IArtifactFile[]>();
  for (const f of files) {
    byTask.set(f.task_folder, [...(byTask.get(f.task_folder) ?? []), f]);
  }
  return (
    <div className="jp-EasyMaker-pipelineOutputs" data-role="run-outputs">
      <h3 className="jp-EasyMaker-subTitle">{trans.__('Pipeline outputs')}</h3>
      <OutputValues outputs={run.result?.outputs} />
      <h3 className="jp-EasyMaker-subTitle">{trans.__('Artifacts')}</h3>
      {run.artifacts_purged ? <p className="jp-EasyMaker-help">{trans.__('The artifacts were deleted after the retention period.')}</p> : null}
      {panel.artifacts === null ? <ArtifactsLoader panel={panel} /> : null}
      {panel.artifacts && !files.length ? <p className="jp-EasyMaker-help">{trans.__('This run has no artifact files.')}</p> : null}
      {[...byTask.entries()].map(([folder, group]) => {
        const state = stateOfFolder(panel, folder);
        return (
          <div key={folder} className="jp-EasyMaker-artifactGroup" data-task-folder={folder}>
            <div className="jp-EasyMaker-artifactGroup-title">
              {state ? <TaskState state={state} /> : null} <code>{folder.replace(/__/g, '/')}</code>
            </div>
            <ArtifactLinks panel={panel} files={group} />
          </div>
        );
      })}
    </div>
  );
}
