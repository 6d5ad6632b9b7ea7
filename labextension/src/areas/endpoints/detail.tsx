/**
 * One endpoint: overview, stages (add, make default, retry, delete), one
 * stage's resources, API statistics, monitoring, logs and "Try it", API
 * keys, status history. Stage and resource change events re-read it.
 */
import * as React from 'react';

import { CommandIDs } from '../../commands';
import type { IChangeEvent } from '../../shared/api/types';
import { confirmDelete } from '../../shared/components/dialogs';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import { DetailTable, notifyError } from '../../shared/panels/base';
import { historyTab, identityRows } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatNumber, formatTime } from '../../shared/state/format';
import { isSettled, settledOf } from '../../shared/status';
import type { IEndpoint, IEndpointStats, IStage, IStageResource } from './api';
import { endpointsApi } from './api';
import { ApiKeysView } from './apiKeys';
import { CopyButton, UrlWithCopy, confirmAction } from './parts';
import { StageView } from './stageView';
import { StatsRange, stageActions } from './stats';

export const ENDPOINT_TABS = ['overview', 'stages', 'stage', 'api-keys', 'history'];

export class EndpointDetailPanel extends ResourceDetailPanel<IEndpoint> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string, stage?: string) {
    super(ctx, { api: endpointsApi(ctx), rename: (ref, body) => endpointsApi(ctx).update(ref, body), id, finalStatuses: settledOf('endpoint'), name: 'endpoint', tab });
    this.title.label = ctx.trans.__('Endpoint');
    this._stage = stage ?? '';
    // the stage view polls only while seen: tell it when that changes
    this.visibilityChanged.connect(() => this.update());
  }

  /** The stage the Stage tab shows (name); the default stage when unset. */
  get stageName(): string {
    const stages = this.resource?.stages ?? [];
    const chosen = stages.find(s => s.name === this._stage || s.id === this._stage);
    return (chosen ?? stages.find(s => s.is_default) ?? stages[0])?.name ?? '';
  }

  selectStage(stage: string): void {
    this._stage = stage;
    this.update();
  }

  /** Show one stage in the Stage tab. */
  openStage(stage: string): void {
    this._stage = stage;
    this.setTab('stage');
  }

  protected onLoaded(resource: IEndpoint): void {
    this._version++;
    super.onLoaded(resource);
  }

  protected onTabShown(tab: string): void {
    if (tab === 'overview') {
      // calls of the last 24 h per stage, for the overview
      const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString();
      endpointsApi(this.ctx)
        .endpointStatistics(this.resourceId, since)
        .then(stats => {
          this._stats = stats;
          this.update();
        })
        .catch(() => undefined);
    }
  }

  protected isFinal(e: IEndpoint): boolean {
    // the endpoint and every stage settled
    return isSettled('endpoint', e.status) && (e.stages ?? []).every(s => isSettled('endpoint stage', s.status));
  }

  protected watches(event: IChangeEvent): boolean {
    const api = endpointsApi(this.ctx);
    if (event.kind !== api.stageKind && event.kind !== api.resourceKind) {
      return false;
    }
    // only this endpoint's stages and resources: their events name the endpoint
    return event.endpoint_id === this.resourceId;
  }

  protected actions(e: IEndpoint): IToolbarAction[] {
    const { trans } = this;
    const busy = !isSettled('endpoint', e.status);
    const deletable = !busy && (e.stage_count ?? 0) <= 1;
    return [
      {
        id: 'add-stage',
        label: trans.__('Add stage'),
        disabled: busy || e.status === 'CREATE FAILED',
        onClick: () => this.addStage()
      },
      { id: 'refresh', label: trans.__('Refresh'), onClick: () => void this.reload() },
      {
        id: 'delete',
        label: trans.__('Delete'),
        danger: true,
        disabled: !deletable,
        title: deletable ? undefined : busy ? trans.__('Endpoints being created, updated or deleted cannot be deleted') : trans.__('Delete the stages other than the default first'),
        onClick: () => void this.deleteEndpoint()
      }
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const e = this.resource as IEndpoint;
    const stages = e.stages ?? [];
    const stage = stages.find(s => s.name === this.stageName);
    return [
      { id: 'overview', label: trans.__('Overview'), render: () => this.renderOverview(e) },
      { id: 'stages', label: `${trans.__('Stages')} (${stages.length})`, render: () => this.renderStages(e, stages) },
      {
        id: 'stage',
        label: stage ? trans.__('Stage: %1', stage.name) : trans.__('Stage'),
        render: () => (
          <div className="jp-EasyMaker-stageTab">
            <label className="jp-EasyMaker-stagePicker">
              {trans.__('Stage')}{' '}
              <select className="jp-mod-styled" name="stage" value={this.stageName} onChange={ev => this.selectStage(ev.target.value)}>
                {stages.map(s => (
                  <option key={s.id} value={s.name}>
                    {s.is_default ? `${s.name} (${trans.__('default')})` : s.name}
                  </option>
                ))}
              </select>
            </label>
            {stage ? (
              <StageView
                key={stage.id}
                ctx={this.ctx}
                endpointId={e.id}
                stage={stage}
                visible={this.seen}
                version={this._version}
                range={this._range}
                onRange={range => {
                  this._range = range;
                  this.update();
                }}
                onAddResource={() => void this.ctx.app.commands.execute(CommandIDs.addStageResource, { endpoint: e.id, stage: stage.name })}
                onDeleteResource={r => void this.deleteResource(stage, r)}
              />
            ) : (
              <div className="jp-EasyMaker-empty">{trans.__('This endpoint has no stage.')}</div>
            )}
          </div>
        )
      },
      { id: 'api-keys', label: trans.__('API keys'), render: () => <ApiKeysView ctx={this.ctx} endpointId={e.id} endpointName={e.name} /> },
      historyTab(trans, e.history)
    ];
  }

  private renderOverview(e: IEndpoint): JSX.Element {
    const { trans } = this;
    const stats = this._stats;
    const def = (e.stages ?? []).find(s => s.is_default);
    const model = def?.resources[0];
    const example = model
      ? `curl -X POST ${def.url.replace(/\/[^/]+$/, '')}/${model.model_name}/v1/models/${model.model_name}/predict \\\n  -H "Authorization: Bearer $EASYMAKER_API_KEY" -H "Content-Type: application/json" \\\n  -d '{"instances": [[...]]}'`
      : '';
    return (
      <div className="jp-EasyMaker-overview" data-role="overview">
        <DetailTable
          rows={[
            ...identityRows(trans, e),
            [trans.__('Status'), <StatusBadge status={e.status} title={e.status_reason} />],
            [trans.__('Reason'), e.status_reason],
            [trans.__('Default stage'), e.default_stage_name ?? ''],
            [trans.__('Default stage URL'), <UrlWithCopy url={e.default_stage_url} />],
            [trans.__('Default stage URL (gateway port)'), <UrlWithCopy url={e.default_stage_gateway_url ?? ''} />],
            [trans.__('API Gateway status'), e.gateway_status ? <StatusBadge status={e.gateway_status} /> : ''],
            [trans.__('Backend'), e.backend],
            [
              trans.__('API calls (24 h)'),
              stats ? (
                <span data-role="calls-24h">
                  {trans.__('%1 calls, %2 succeeded, %3 failed', formatNumber(stats.calls), formatNumber(stats.success), formatNumber(stats.failure))}
                </span>
              ) : (
                ''
              )
            ],
            [trans.__('Created'), formatTime(e.created_at)],
            [trans.__('Updated'), formatTime(e.updated_at)]
          ]}
        />
        {example ? (
          <div className="jp-EasyMaker-section">
            <h3 className="jp-EasyMaker-groupTitle">{trans.__('Call the default stage')}</h3>
            <pre className="jp-EasyMaker-json" data-role="curl-example">
              {example}
            </pre>
            <CopyButton text={example} />
          </div>
        ) : null}
      </div>
    );
  }

  private renderStages(e: IEndpoint, stages: IStage[]): JSX.Element {
    const { trans } = this;
    return (
      <div className="jp-EasyMaker-stages" data-role="stages">
        <table className="jp-EasyMaker-details jp-EasyMaker-grid">
          <thead>
            <tr>
              <th>{trans.__('Name')}</th>
              <th>{trans.__('Status')}</th>
              <th>{trans.__('API Gateway status')}</th>
              <th>{trans.__('Stage URL')}</th>
              <th>{trans.__('Models')}</th>
              <th>{trans.__('Instances')}</th>
              <th>{trans.__('Pods')}</th>
              <th>{trans.__('Created')}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {stages.map(s => {
              const can = stageActions(s);
              return (
                <tr key={s.id} data-stage={s.name} data-status={s.status} data-default={s.is_default ? 'true' : 'false'}>
                  <td>
                    <button type="button" className="jp-EasyMaker-name" data-role="open-stage" onClick={() => this.openStage(s.name)}>
                      {s.name}
                    </button>
                    {s.is_default ? <span className="jp-EasyMaker-defaultMark">{trans.__('default')}</span> : null}
                    {s.description ? <div className="jp-EasyMaker-help">{s.description}</div> : null}
                  </td>
                  <td>
                    <StatusBadge status={s.status} title={s.status_reason} />
                  </td>
                  <td>{s.gateway_status ? <StatusBadge status={s.gateway_status} /> : '-'}</td>
                  <td>
                    <UrlWithCopy url={s.url} />
                  </td>
                  <td>{s.resources.map(r => r.model_name).join(', ')}</td>
                  <td>
                    {s.instance_type} × {s.instance_count}
                  </td>
                  <td data-role="pods">
                    {s.pods_ready}/{s.pods_total}
                  </td>
                  <td>{formatTime(s.created_at)}</td>
                  <td className="jp-EasyMaker-rowActions">
                    {can.makeDefault ? (
                      <button type="button" className="jp-EasyMaker-button" data-action="make-default" onClick={() => void this.makeDefault(e, s)}>
                        {trans.__('Make default')}
                      </button>
                    ) : null}
                    {can.retry ? (
                      <button type="button" className="jp-EasyMaker-button" data-action="retry" onClick={() => void this.retry(s)}>
                        {trans.__('Retry')}
                      </button>
                    ) : null}
                    {!s.is_default ? (
                      <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="delete-stage" disabled={!can.remove} onClick={() => void this.deleteStage(s)}>
                        {trans.__('Delete')}
                      </button>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <p className="jp-EasyMaker-help">
          {trans.__('Add a stage to try a new model beside the default stage; "Make default" moves the default stage URL to it without downtime and removes the old default stage once its requests are done.')}
        </p>
      </div>
    );
  }

  addStage(): void {
    const e = this.resource;
    if (!e) {
      return;
    }
    const def = (e.stages ?? []).find(s => s.is_default);
    void this.ctx.app.commands.execute(CommandIDs.createEndpointStage, {
      endpoint: e.id,
      // start from the default stage's instances; the model is the user's to pick
      instance_type: def?.instance_type ?? '',
      instance_count: def?.instance_count ?? 1
    });
  }

  private async makeDefault(e: IEndpoint, s: IStage): Promise<void> {
    const { trans } = this;
    const ok = await confirmAction(
      trans,
      trans.__('Make %1 the default stage', s.name),
      trans.__(
        'The default stage URL of %1 routes to %2 from the next request on, without downtime. The current default stage %3 finishes the requests it has, then its servers are stopped and the stage is deleted.',
        e.name,
        s.name,
        e.default_stage_name ?? ''
      ),
      trans.__('Make default')
    );
    if (!ok) {
      return;
    }
    try {
      await endpointsApi(this.ctx).setDefaultStage(e.id, s.name);
    } catch (error) {
      notifyError(trans, trans.__('Make default'), error);
    }
    await this.reload();
  }

  private async retry(s: IStage): Promise<void> {
    try {
      await endpointsApi(this.ctx).retryStage(this.resourceId, s.name);
    } catch (error) {
      notifyError(this.trans, this.trans.__('Retry'), error);
    }
    await this.reload();
  }

  private async deleteStage(s: IStage): Promise<void> {
    const { trans } = this;
    const ok = await confirmAction(
      trans,
      trans.__('Delete stage %1', s.name),
      trans.__('Delete stage %1? Its URL stops answering, its servers are stopped once their requests are done, and its statistics and logs are removed.', s.name),
      trans.__('Delete')
    );
    if (!ok) {
      return;
    }
    try {
      await endpointsApi(this.ctx).deleteStage(this.resourceId, s.name);
    } catch (error) {
      notifyError(trans, trans.__('Delete stage %1', s.name), error);
    }
    await this.reload();
  }

  private async deleteResource(s: IStage, r: IStageResource): Promise<void> {
    const { trans } = this;
    const ok = await confirmAction(
      trans,
      trans.__('Remove %1 from %2', r.model_name, s.name),
      trans.__('Requests for %1 on stage %2 are refused from now on; its servers are stopped once their requests are done.', r.model_name, s.name),
      trans.__('Remove')
    );
    if (!ok) {
      return;
    }
    try {
      await endpointsApi(this.ctx).deleteResource(this.resourceId, s.name, r.id);
    } catch (error) {
      notifyError(trans, trans.__('Remove %1 from %2', r.model_name, s.name), error);
    }
    await this.reload();
  }

  private async deleteEndpoint(): Promise<void> {
    const e = this.resource;
    if (!e || !(await confirmDelete(this.trans.__('endpoint'), [e.name], this.trans))) {
      return;
    }
    try {
      await endpointsApi(this.ctx).remove(e.id);
      void this.ctx.app.commands.execute(CommandIDs.openEndpoints);
    } catch (error) {
      notifyError(this.trans, this.trans.__('Delete %1', e.name), error);
    }
    await this.reload();
  }

  private _stage: string;
  private _range: StatsRange = '1h';
  private _version = 0;
  private _stats: IEndpointStats | null = null;
}
