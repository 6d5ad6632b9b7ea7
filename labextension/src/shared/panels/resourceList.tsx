/**
 * A list panel of one resource family: toolbar + virtualized table, kept
 * live by the change feed (events patch rows; polling ticks re-read when
 * the stream is down, less often while the panel is hidden).
 */
import * as React from 'react';

import type { FeedMode } from '../api/events';
import type { IChangeEvent, IListParams, IPage, IResource } from '../api/types';
import { useSignal } from '../components/hooks';
import { IToolbarAction, ListToolbar } from '../components/ListToolbar';
import { IColumn, VirtualTable } from '../components/VirtualTable';
import type { EasyMakerContext } from '../context';
import { ResourceListModel } from '../state/listModel';
import { EasyMakerPanel } from './base';

export interface IResourceListConfig<T extends IResource> {
  /** Area id (`trainings`), also a CSS hook. */
  area: string;
  statuses: readonly string[];
  columns(): IColumn<T>[];
  actions(selected: T[], model: ResourceListModel<T>): IToolbarAction[];
  open(row: T): void;
  empty: string;
}

/** The table and toolbar, for a panel or a detail tab. */
export function ResourceListView<T extends IResource>(props: {
  ctx: EasyMakerContext;
  model: ResourceListModel<T>;
  config: IResourceListConfig<T>;
}): JSX.Element {
  const { ctx, model, config } = props;
  useSignal(model.changed);
  useSignal(ctx.feed.modeChanged);
  const selected = model.selectedRows();
  // stable columns keep the memoized rows from re-rendering on every scroll
  const columns = React.useMemo(() => config.columns(), [config]);
  return (
    <div className={`jp-EasyMaker-list jp-EasyMaker-list-${config.area}`} data-area={config.area}>
      <ListToolbar
        query={model.query}
        statuses={config.statuses}
        total={model.total}
        selected={model.selection.size}
        loading={model.loading}
        mode={ctx.feed.mode as FeedMode}
        actions={config.actions(selected, model)}
        onQuery={q => model.setQuery(q)}
        onRefresh={() => void model.refresh()}
      />
      {model.error ? (
        <div className="jp-EasyMaker-error" role="alert">
          {model.error}
        </div>
      ) : null}
      <VirtualTable model={model} columns={columns} onOpen={config.open} empty={config.empty} />
    </div>
  );
}

/** Connect a list model to the live feed and to a panel's visibility. */
export function connectListModel<T extends IResource>(
  ctx: EasyMakerContext,
  model: ResourceListModel<T>,
  panel: EasyMakerPanel
): void {
  const onChange = (_: unknown, event: IChangeEvent) => model.applyChange(event);
  const onTick = () => model.onTick();
  const onVisible = (_: unknown, seen: boolean) => model.setVisible(seen);
  ctx.feed.changed.connect(onChange);
  ctx.feed.tick.connect(onTick);
  panel.visibilityChanged.connect(onVisible);
  panel.disposed.connect(() => {
    ctx.feed.changed.disconnect(onChange);
    ctx.feed.tick.disconnect(onTick);
    model.dispose();
  });
}

/** A main-area panel listing one resource family. */
export class ResourceListPanel<T extends IResource> extends EasyMakerPanel {
  constructor(
    ctx: EasyMakerContext,
    readonly model: ResourceListModel<T>,
    readonly config: IResourceListConfig<T>
  ) {
    super(ctx);
    this.addClass('jp-EasyMaker-listPanel');
    this.node.dataset.area = config.area;
    connectListModel(ctx, model, this);
    void model.refresh();
  }

  protected renderPanel(): JSX.Element {
    return <ResourceListView ctx={this.ctx} model={this.model} config={this.config} />;
  }
}

/** A family's API as a list panel reads it. */
export interface IListApi<T extends IResource> {
  readonly kind: string;
  list(params: IListParams): Promise<IPage<T>>;
}

/** The main-area list panel of a family: its model over the family's API and its table. */
export function createListPanel<T extends IResource>(
  ctx: EasyMakerContext,
  api: IListApi<T>,
  config: IResourceListConfig<T>,
  widget: { id: string; title: string }
): ResourceListPanel<T> {
  const model = new ResourceListModel<T>({ fetch: params => api.list(params), kind: api.kind });
  const panel = new ResourceListPanel(ctx, model, config);
  panel.id = widget.id;
  panel.title.label = widget.title;
  return panel;
}
