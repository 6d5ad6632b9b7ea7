/** One pipeline: its graph (a node's details on click), overview with its run parameters, its runs, status history. */
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { notifyError } from '../../shared/panels/base';
import { historyTab, overviewTab } from '../../shared/panels/detailTabs';
import { download } from '../../shared/panels/download';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { IResourceListConfig, ResourceListView, connectListModel } from '../../shared/panels/resourceList';
import { formatTime } from '../../shared/state/format';
import { ResourceListModel, errorText } from '../../shared/state/listModel';
import { isSettled, settledOf } from '../../shared/status';
import { type IPipeline, type IPipelineGraph, type IPipelineInput, type IPipelineRun, pipelinesApi } from './api';
import { PipelineCommandIDs } from './commands';
import { GraphWithDetails } from './graphView';
import { pipelineRunsConfig, pipelineRunsModel } from './list';

export class PipelineDetailPanel extends ResourceDetailPanel<IPipeline> {
  constructor(ctx: EasyMakerContext, id: string, tab = 'graph') {
    super(ctx, { api: pipelinesApi(ctx), rename: (ref, body) => pipelinesApi(ctx).update(ref, body), id, finalStatuses: settledOf('pipeline'), name: 'pipeline', tab });
    this.title.label = ctx.trans.__('Pipeline');
    // the server finds the runs of a pipeline by its name or id: the id survives a rename
    this.runs = pipelineRunsModel(ctx, { pipeline_name: id });
    this._runsConfig = pipelineRunsConfig(ctx, { pipeline_name: id });
    connectListModel(ctx, this.runs, this);
    void this.runs.refresh();
  }

  readonly runs: ResourceListModel<IPipelineRun>;
  graph: IPipelineGraph | null = null;
  graphError: string | null = null;
  selected: string | null = null;

  select(id: string | null): void {
    this.selected = id;
    this.update();
  }

  protected onTabShown(tab: string): void {
    const p = this.resource;
    // the graph is stored once the pipeline is ACTIVE, and never changes after
    if (tab === 'graph' && p?.status === 'ACTIVE' && !this.graph && !this._loadingGraph) {
      this._loadingGraph = true;
      pipelinesApi(this.ctx)
        .graph(this.resourceId)
        .then(g => ((this.graph = g), (this.graphError = null)))
        .catch(e => (this.graphError = errorText(e)))
        .finally(() => {
          this._loadingGraph = false;
          this.update();
        });
    }
  }

  protected actions(p: IPipeline): IToolbarAction[] {
    const { trans, ctx } = this;
    return [
      {
        id: 'run',
        label: trans.__('Create run'),
        primary: true,
        disabled: p.status !== 'ACTIVE',
        onClick: () => void ctx.app.commands.execute(PipelineCommandIDs.createPipelineRun, { pipeline: p.name })
      },
      {
        id: 'download',
        label: trans.__('Download'),
        disabled: p.status !== 'ACTIVE',
        title: trans.__('The pipeline as KFP IR YAML'),
        onClick: () =>
          void pipelinesApi(ctx)
            .download(p.id)
            .then(text => download(`${p.name}.yaml`, text))
            .catch(e => notifyError(trans, trans.__('Download'), e))
      },
      // a pipeline that schedules use is refused (409): the notification names them
      ...this.jobActions(p, { remove: { run: () => pipelinesApi(ctx).remove(p.id), allowed: isSettled('pipeline', p.status), noun: trans.__('pipelines') } })
    ];
  }

  protected tabs(): IDetailTab[] {
    const { trans, ctx } = this;
    const p = this.resource as IPipeline;
    return [
      { id: 'graph', label: trans.__('Graph'), render: () => this._renderGraph(p) },
      overviewTab(
        trans,
        p,
        [
          [trans.__('Status reason'), p.status_reason],
          [trans.__('Pipeline name (IR)'), <code>{p.pipeline_name}</code>],
          [trans.__('File'), p.filename],
          [trans.__('Format'), p.source_format],
          [trans.__('SDK version'), p.sdk_version],
          [trans.__('Schema version'), p.schema_version],
          [trans.__('Tasks'), String(p.summary?.task_count ?? '')],
          [trans.__('Features'), <Features features={p.summary?.features ?? []} />],
          [trans.__('Runs'), String(p.run_count ?? 0)],
          [trans.__('Created'), formatTime(p.created_at)]
        ],
        { after: () => <InputsTable inputs={p.inputs ?? []} /> }
      ),
      { id: 'runs', label: trans.__('Runs'), render: () => <ResourceListView ctx={ctx} model={this.runs} config={this._runsConfig} /> },
      historyTab(trans, p.history)
    ];
  }

  private _renderGraph(p: IPipeline): JSX.Element {
    const { trans } = this;
    if (p.status !== 'ACTIVE') {
      return (
        <div className="jp-EasyMaker-empty">
          {p.status === 'CREATE FAILED' ? trans.__('The pipeline could not be stored: %1', p.status_reason) : trans.__('The graph is drawn once the pipeline is ACTIVE.')}
        </div>
      );
    }
    if (this.graphError) {
      return (
        <div className="jp-EasyMaker-error" role="alert">
          {this.graphError}
        </div>
      );
    }
    if (!this.graph) {
      return <div className="jp-EasyMaker-empty">{trans.__('Loading…')}</div>;
    }
    return <GraphWithDetails graph={this.graph} selected={this.selected} onSelect={id => this.select(id)} />;
  }

  private _runsConfig: IResourceListConfig<IPipelineRun>;
  private _loadingGraph = false;
}

function Features(props: { features: string[] }): JSX.Element {
  return (
    <span className="jp-EasyMaker-pipelineFeatures">
      {props.features.map(f => (
        <span key={f} className="jp-EasyMaker-chip" data-feature={f}>
          {f}
        </span>
      ))}
    </span>
  );
}

/** The run parameters the pipeline takes, with their types and defaults. */
export function InputsTable(props: { inputs: IPipelineInput[] }): JSX.Element {
  const trans = useTrans();
  if (!props.inputs.length) {
    return <p className="jp-EasyMaker-help">{trans.__('This pipeline takes no run parameters.')}</p>;
  }
  return (
    <>
      <h3 className="jp-EasyMaker-subTitle">{trans.__('Run parameters')}</h3>
      <table className="jp-EasyMaker-details jp-EasyMaker-pipelineInputs" data-role="pipeline-inputs">
        <thead>
          <tr>
            <th>{trans.__('Name')}</th>
            <th>{trans.__('Type')}</th>
            <th>{trans.__('Default')}</th>
            <th>{trans.__('Description')}</th>
          </tr>
        </thead>
        <tbody>
          {props.inputs.map(i => (
            <tr key={i.name} data-input={i.name}>
              <td>
                <code>{i.name}</code>
                {!i.optional && (i.default === null || i.default === undefined) ? <span className="jp-EasyMaker-required"> *</span> : null}
              </td>
              <td>
                {i.type}
                {i.kind === 'artifact' ? ` (${trans.__('artifact')})` : ''}
              </td>
              <td>{i.default === null || i.default === undefined ? '' : <code>{JSON.stringify(i.default)}</code>}</td>
              <td>{i.description}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
