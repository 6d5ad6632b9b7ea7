/** One notebook: overview, start-up script results and monitoring, with the guide's actions. */
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { overviewTab } from '../../shared/panels/detailTabs';
import { MonitoringView } from '../../shared/panels/metricsViews';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import { settledOf } from '../../shared/status';
import { notebookActions } from './actions';
import { notebooksApi, type IStartupScripts, type INotebook } from './api';
import type { IMetrics } from '../../shared/api/types';

const MONITORING_REFRESH_MS = 10000;
const ACTIVE = ['ACTIVE (HEALTHY)', 'ACTIVE (UNHEALTHY)'];

function usePolled<T>(load: () => Promise<T>, ms: number, deps: React.DependencyList): [T | null, string | null] {
  const [value, setValue] = React.useState<T | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const run = async () => {
      try {
        const next = await load();
        if (!stopped) {
          setValue(next);
          setError(null);
        }
      } catch (e) {
        if (!stopped) {
          setError(errorText(e));
        }
      } finally {
        if (!stopped && ms > 0) {
          timer = setTimeout(run, ms);
        }
      }
    };
    void run();
    return () => {
      stopped = true;
      if (timer !== null) {
        clearTimeout(timer);
      }
    };
  }, deps);
  return [value, error];
}

export function StartupScriptsView(props: { ctx: EasyMakerContext; notebook: INotebook }): JSX.Element {
  const trans = useTrans();
  const { ctx, notebook } = props;
  // read again whenever the notebook changes status (a start runs them)
  const [result, error] = usePolled<IStartupScripts>(() => notebooksApi(ctx).startupScripts(notebook.id), 0, [notebook.id, notebook.status]);
  if (error) {
    return <div className="jp-EasyMaker-error">{error}</div>;
  }
  if (!result) {
    return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
  }
  return (
    <div data-role="startup-scripts">
      <div className="jp-EasyMaker-help">
        {trans.__('Executable files of ~/easymaker/cont-init.d whose first line starts with #! run in alphanumeric order before the notebook starts.')}
      </div>
      {result.scripts.length === 0 ? (
        <div className="jp-EasyMaker-empty" data-role="no-scripts">{trans.__('No start-up scripts.')}</div>
      ) : (
        <table className="jp-EasyMaker-details">
          <thead>
            <tr>
              <th>{trans.__('Script')}</th>
              <th>{trans.__('Runs')}</th>
              <th>{trans.__('Exit code')}</th>
              <th>{trans.__('Output')}</th>
            </tr>
          </thead>
          <tbody>
            {result.scripts.map(s => (
              <tr key={s.name} data-script={s.name} data-exit-code={s.exit_code ?? ''}>
                <td>{s.name}</td>
                <td>{s.runnable ? trans.__('Yes') : trans.__('No (not executable or no #! line)')}</td>
                <td>{s.exit_code === null ? '-' : String(s.exit_code)}</td>
                <td>
                  <pre className="jp-EasyMaker-logText">{s.output ?? ''}</pre>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3 className="jp-EasyMaker-groupTitle">{trans.__('Whole run log (cont-init.output)')}</h3>
      <pre className="jp-EasyMaker-logText" data-role="run-log">{result.run_log}</pre>
    </div>
  );
}

function NotebookMonitoring(props: { ctx: EasyMakerContext; notebookId: string }): JSX.Element {
  const [metrics, error] = usePolled<IMetrics>(() => notebooksApi(props.ctx).monitoring(props.notebookId), MONITORING_REFRESH_MS, [props.notebookId]);
  return <MonitoringView metrics={metrics} error={error} />;
}

export class NotebookDetailPanel extends ResourceDetailPanel<INotebook> {
  constructor(ctx: EasyMakerContext, notebookId: string, tab = 'overview') {
    super(ctx, { api: notebooksApi(ctx), id: notebookId, finalStatuses: settledOf('notebook'), name: 'notebook', tab });
    this.title.label = ctx.trans.__('Notebook');
  }

  protected actions(n: INotebook): IToolbarAction[] {
    return notebookActions(this.ctx, n, () => void this.reload(), () => this.dispose());
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const n = this.resource as INotebook;
    return [
      overviewTab(trans, n, [
        [
          trans.__('Status'),
          <span>
            <StatusBadge status={n.status} /> {n.status_reason}
          </span>
        ],
        [trans.__('Image'), n.image],
        [trans.__('Instance type'), n.instance_type],
        [trans.__('Boot storage size (GB)'), String(n.boot_storage_gb)],
        [trans.__('Data storage size (GB)'), String(n.data_storage_gb)],
        [trans.__('Data path'), n.data_path],
        [trans.__('NHN Cloud NAS'), n.nas_path ? `${n.nas_mount_name} ← ${n.nas_path}` : '-'],
        [trans.__('Jupyter notebook'), n.url ? <a href={n.url} target="_blank" rel="noopener noreferrer" data-role="notebook-url">{n.url}</a> : '-'],
        [trans.__('Created'), formatTime(n.created_at)],
        [trans.__('Updated'), formatTime(n.updated_at)]
      ]),
      { id: 'startup-scripts', label: trans.__('Start-up scripts'), render: () => <StartupScriptsView ctx={ctx} notebook={n} /> },
      {
        id: 'monitoring',
        label: trans.__('Monitoring'),
        // the guide: disabled while the notebook is being created or an action is in progress
        disabled: !ACTIVE.includes(n.status),
        render: () => <NotebookMonitoring ctx={ctx} notebookId={n.id} />
      }
    ];
  }
}
