/**
 * The dashboard: the guide's service usage counts, top endpoints and
 * resource usage by instance type. Re-read on changes (debounced).
 */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IChangeEvent } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { errorText } from '../../shared/state/listModel';
import { fetchDashboard, type IDashboard, type IHeldResource } from './api';

export class DashboardPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext) {
    super(ctx);
    this.addClass('jp-EasyMaker-dashboard');
    this.id = 'jp-EasyMaker-dashboard';
    this.title.label = ctx.trans.__('Dashboard');
    this.title.closable = true;
    ctx.feed.changed.connect(this._onChange, this);
    ctx.feed.tick.connect(this._onTick, this);
    this.visibilityChanged.connect((_, seen) => seen && this._stale && void this.reload());
    void this.reload();
  }

  data: IDashboard | null = null;
  error: string | null = null;
  loadedAt: Date | null = null;

  async reload(): Promise<void> {
    this._stale = false;
    try {
      this.data = await fetchDashboard(this.ctx.api.client);
      this.error = null;
      this.loadedAt = new Date();
    } catch (error) {
      this.error = errorText(error);
    }
    this.update();
  }

  dispose(): void {
    this.ctx.feed.changed.disconnect(this._onChange, this);
    this.ctx.feed.tick.disconnect(this._onTick, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    super.dispose();
  }

  protected renderPanel(): JSX.Element {
    return <DashboardView panel={this} />;
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    if (event.change === 'logs') {
      return;
    }
    if (!this.seen) {
      this._stale = true;
      return;
    }
    if (this._timer === null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this.reload();
      }, 500);
    }
  }

  private _onTick(): void {
    if (this.seen) {
      void this.reload();
    } else {
      this._stale = true;
    }
  }

  private _stale = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}

function Count(props: { id: string; label: string; value: number | undefined; onClick?: () => void }): JSX.Element {
  return (
    <button type="button" className="jp-EasyMaker-countCard" data-count={props.id} onClick={props.onClick} disabled={!props.onClick}>
      <span className="jp-EasyMaker-countValue">{props.value ?? 0}</span>
      <span className="jp-EasyMaker-countLabel">{props.label}</span>
    </button>
  );
}

function Meter(props: { label: string; used: number; total: number; unit?: string }): JSX.Element {
  const pct = props.total > 0 ? Math.min(100, (props.used / props.total) * 100) : 0;
  return (
    <div className="jp-EasyMaker-meter" data-meter={props.label}>
      <div className="jp-EasyMaker-meterLabel">
        {props.label}: {Number(props.used.toFixed(2))} / {Number(props.total.toFixed(2))} {props.unit ?? ''} ({pct.toFixed(0)}%)
      </div>
      <div className="jp-EasyMaker-meterTrack">
        <div className="jp-EasyMaker-meterFill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MiB`;
}

/**
 * The guide's resource usage: per core type, the resource that uses the
 * most, as a bar; its details show on hover (and to screen readers).
 */
function TopResource(props: { top: IHeldResource & { metric: string; value: number } }): JSX.Element {
  const trans = useTrans();
  const t = props.top;
  const pct = Math.max(0, Math.min(100, t.value));
  const details = [
    `${trans.__('Kind')}: ${t.kind}`,
    `${trans.__('Name')}: ${t.name}`,
    `${trans.__('Instance type')}: ${t.instance_type} × ${t.units}`,
    `${trans.__('CPU')}: ${t.cpu_percent}%`,
    `${trans.__('Memory')}: ${mib(t.memory_bytes)}`,
    t.gpu_percent !== null ? `${trans.__('GPU')}: ${t.gpu_percent}%` : '',
    t.sampled_at ? `${trans.__('Measured at')}: ${new Date(t.sampled_at).toLocaleString()}` : trans.__('Not measured yet')
  ].filter(Boolean);
  return (
    <div className="jp-EasyMaker-meter jp-EasyMaker-topResource" data-core-type={t.core_type} data-resource-id={t.id} title={details.join('\n')}>
      <div className="jp-EasyMaker-meterLabel">
        {t.core_type}: <strong>{t.name}</strong> ({t.kind}) — {t.metric === 'gpu_percent' ? trans.__('GPU') : trans.__('CPU')} {t.value.toFixed(1)}%
      </div>
      <div className="jp-EasyMaker-meterTrack" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={details.join(', ')}>
        <div className="jp-EasyMaker-meterFill" style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}

function DashboardView(props: { panel: DashboardPanel }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const commands = panel.ctx.app.commands;
  const d = panel.data;
  if (!d) {
    return (
      <div className="jp-EasyMaker-detailBody">
        {panel.error ? (
          <div className="jp-EasyMaker-error" role="alert">
            {trans.__('The dashboard could not be loaded: %1', panel.error)}
          </div>
        ) : (
          trans.__('Loading…')
        )}
      </div>
    );
  }
  const c = d.counts ?? {};
  const usage = d.resource_usage ?? {};
  const byType = [...(usage.by_instance_type ?? [])].sort((a, b) => b.cpu + b.gpu * 100 - (a.cpu + a.gpu * 100));
  const top = usage.top_by_core_type ?? [];
  return (
    <div className="jp-EasyMaker-detailBody">
      <h2 className="jp-EasyMaker-detailTitle">{trans.__('Dashboard')}</h2>
      {panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : null}
      <h3>{trans.__('Service usage')}</h3>
      <div className="jp-EasyMaker-counts">
        <Count id="active_notebooks" label={trans.__('Active notebooks')} value={c.active_notebooks} />
        <Count id="complete_trainings" label={trans.__('Complete trainings')} value={c.complete_trainings} onClick={() => void commands.execute(CommandIDs.openTrainings)} />
        <Count id="running_trainings" label={trans.__('Running trainings')} value={c.running_trainings} onClick={() => void commands.execute(CommandIDs.openTrainings)} />
        <Count id="failed_trainings" label={trans.__('Failed trainings')} value={c.failed_trainings} onClick={() => void commands.execute(CommandIDs.openTrainings)} />
        <Count id="complete_hpo" label={trans.__('Complete hyperparameter tunings')} value={c.complete_hpo} />
        <Count id="active_endpoints" label={trans.__('Active endpoints')} value={c.active_endpoints} />
      </div>
      <h3>{trans.__('Service monitoring')}</h3>
      {d.top_endpoints?.length ? (
        <table className="jp-EasyMaker-details" data-role="top-endpoints">
          <thead>
            <tr>
              <th>{trans.__('Endpoint')}</th>
              <th>{trans.__('API calls')}</th>
              <th>{trans.__('Success / failure by stage')}</th>
            </tr>
          </thead>
          <tbody>
            {d.top_endpoints.slice(0, 3).map(e => (
              <tr key={e.name}>
                <td>{e.name}</td>
                <td>{e.calls ?? 0}</td>
                <td>{(e.stages ?? []).map(s => `${s.name}: ${s.success ?? 0} / ${s.failure ?? 0}`).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="jp-EasyMaker-help">{trans.__('No endpoint has served API calls yet.')}</div>
      )}
      <h3>{trans.__('Resource usage')}</h3>
      <div className="jp-EasyMaker-meters">
        {usage.cpu ? <Meter label={trans.__('CPU')} used={usage.cpu.used} total={usage.cpu.total} unit={trans.__('cores')} /> : null}
        {usage.gpu ? <Meter label={trans.__('GPU')} used={usage.gpu.used} total={usage.gpu.total} /> : null}
      </div>
      <h4>{trans.__('Most used resource by core type')}</h4>
      {top.length ? (
        <div className="jp-EasyMaker-meters" data-role="top-by-core-type">
          {top.map(t => (
            <TopResource key={t.core_type} top={t} />
          ))}
        </div>
      ) : (
        <div className="jp-EasyMaker-help">{trans.__('Nothing is running.')}</div>
      )}
      {byType.length ? (
        <table className="jp-EasyMaker-details" data-role="usage-by-type">
          <thead>
            <tr>
              <th>{trans.__('Instance type')}</th>
              <th>{trans.__('CPU in use')}</th>
              <th>{trans.__('GPU in use')}</th>
              <th>{trans.__('Core type')}</th>
              <th>{trans.__('Running')}</th>
            </tr>
          </thead>
          <tbody>
            {byType.map(r => (
              <tr key={r.instance_type} data-instance-type={r.instance_type}>
                <td>{r.instance_type}</td>
                <td>{r.cpu}</td>
                <td>{r.gpu}</td>
                <td>{r.core_type ?? ''}</td>
                <td>
                  {r.running}
                  {Object.entries(r.by_kind ?? {}).map(([kind, n]) => (
                    <span key={kind} className="jp-EasyMaker-chip" data-kind={kind}>
                      {kind} × {n}
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
