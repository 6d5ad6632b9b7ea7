/**
 * The detail tab of one resource: a header (name, status badge, actions),
 * a tab bar and the active tab's body, kept current by the change feed.
 * Change events of the resource (or of kinds it watches, like a tuning's
 * trials) re-read it, debounced; while hidden it only marks itself stale
 * and re-reads when shown again; polling ticks re-read it until its
 * status is final.
 */
import * as React from 'react';

import type { IChangeEvent, IResource } from '../api/types';
import { askRename, confirmDelete, confirmStop } from '../components/dialogs';
import type { IToolbarAction } from '../components/ListToolbar';
import { StatusBadge } from '../components/StatusBadge';
import { Tabs } from '../components/Tabs';
import type { EasyMakerContext } from '../context';
import { useTrans } from '../i18n/react';
import { errorText } from '../state/listModel';
import { EasyMakerPanel, notifyError } from './base';
import { isOwnEvent } from './ownEvents';

/** Stop, copy and delete in a detail header (see `ResourceDetailPanel.jobActions`). */
export interface IJobActions {
  stop?: { run(): Promise<unknown>; allowed: boolean };
  copy?(): void;
  /** Delete, then close the tab; `noun` names the kind in the dialog (plural). */
  remove: { run(): Promise<unknown>; allowed: boolean; noun: string };
}

export interface IDetailTab {
  id: string;
  label: string;
  disabled?: boolean;
  render(): JSX.Element;
}

export interface IDetailOptions<T extends IResource> {
  /** The family's API: `get` reads the resource, `kind` names its change events. */
  api: { readonly kind: string; get(ref: string): Promise<T> };
  id: string;
  /** Statuses that do not change any more (no polling once reached). */
  finalStatuses: readonly string[];
  /** Widget id prefix and CSS hook (`model` -> `jp-EasyMaker-model-{id}`). */
  name: string;
  /** Tab shown first. */
  tab?: string;
  /** Where the guide lets this kind be renamed: saves a new name and description (PATCH); the header shows "Rename". */
  rename?(ref: string, body: { name: string; description: string }): Promise<T>;
}

export abstract class ResourceDetailPanel<T extends IResource> extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly options: IDetailOptions<T>) {
    super(ctx);
    this.addClass('jp-EasyMaker-detail');
    this.id = `jp-EasyMaker-${options.name}-${options.id}`;
    this.node.dataset.resourceId = options.id;
    this.node.dataset.kind = options.name;
    this.title.closable = true;
    this._tab = options.tab ?? '';
    ctx.feed.changed.connect(this._onChange, this);
    ctx.feed.tick.connect(this._onTick, this);
    this.visibilityChanged.connect((_, seen) => {
      if (seen && this._stale) {
        void this.reload();
      }
    });
    // subclasses set their fields first; the first read waits a turn
    void Promise.resolve().then(() => this.reload());
  }

  get resourceId(): string {
    return this.options.id;
  }

  get resource(): T | null {
    return this._resource;
  }

  get error(): string | null {
    return this._error;
  }

  get tab(): string {
    if (!this._resource) {
      return this._tab; // tabs() needs the resource
    }
    const tabs = this.tabs();
    return tabs.some(t => t.id === this._tab) ? this._tab : tabs[0]?.id ?? '';
  }

  setTab(tab: string): void {
    this._tab = tab;
    this.onTabShown(tab);
    this.update();
  }

  /** Read the resource (and whatever the open tab shows). */
  async reload(): Promise<void> {
    this._stale = false;
    const read = ++this._reads;
    try {
      const resource = await this.load();
      if (read !== this._reads || this.isDisposed) {
        return; // a newer read was asked for meanwhile: an older answer must not replace it
      }
      this._resource = resource;
      this._error = null;
      this.title.label = resource.name;
      this.title.caption = `${resource.name} (${resource.status})`;
      this.onLoaded(resource);
    } catch (error) {
      if (read !== this._reads || this.isDisposed) {
        return;
      }
      this._error = errorText(error);
    }
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.ctx.feed.changed.disconnect(this._onChange, this);
    this.ctx.feed.tick.disconnect(this._onTick, this);
    if (this._timer !== null) {
      clearTimeout(this._timer);
    }
    super.dispose();
  }

  protected load(): Promise<T> {
    return this.options.api.get(this.options.id);
  }

  protected abstract tabs(): IDetailTab[];
  /** Header buttons. */
  protected actions(_resource: T): IToolbarAction[] {
    return [];
  }
  /** Stop (confirmed), copy, delete (confirmed; the tab closes): the header actions of a job-like resource. */
  protected jobActions(r: T, spec: IJobActions): IToolbarAction[] {
    const { trans } = this;
    const actions: IToolbarAction[] = [];
    const { stop, copy, remove } = spec;
    if (stop) {
      actions.push({
        id: 'stop',
        label: trans.__('Stop'),
        disabled: !stop.allowed,
        onClick: async () => {
          if (await confirmStop([r.name], trans)) {
            await stop.run().catch(e => notifyError(trans, trans.__('Stop failed'), e));
          }
        }
      });
    }
    if (copy) {
      actions.push({ id: 'copy', label: trans.__('Copy'), onClick: () => copy() });
    }
    actions.push({
      id: 'delete',
      label: trans.__('Delete'),
      danger: true,
      disabled: !remove.allowed,
      onClick: async () => {
        if (!(await confirmDelete(remove.noun, [r.name], trans))) {
          return;
        }
        try {
          await remove.run();
          this.close();
        } catch (error) {
          // e.g. 409: an endpoint still serves the model (the server names which)
          notifyError(trans, trans.__('Delete failed'), error);
        }
      }
    });
    return actions;
  }

  /** "Rename" (name and description) when the kind may be renamed; the header adds it after the kind's own actions. */
  protected renameAction(r: T): IToolbarAction[] {
    const { rename } = this.options;
    if (!rename) {
      return [];
    }
    const { trans } = this;
    return [
      {
        id: 'rename',
        label: trans.__('Rename'),
        onClick: async () => {
          const change = await askRename({ name: r.name, description: r.description ?? '' }, trans);
          if (!change) {
            return;
          }
          try {
            this._resource = await rename(r.id, change);
            this.title.label = this._resource.name;
            this.update();
          } catch (error) {
            notifyError(trans, trans.__('Rename failed'), error);
          }
        }
      }
    ];
  }

  /** The status stops changing (no more polling). */
  protected isFinal(resource: T): boolean {
    return this.options.finalStatuses.includes(resource.status);
  }
  /** Text after the status badge (e.g. a tuning's GoalReached). */
  protected statusDetail(_resource: T): string {
    return '';
  }
  /** Shown after the status badge (e.g. a ticking elapsed time). */
  protected headerExtra(_resource: T): React.ReactNode {
    return null;
  }
  /**
   * An event of this resource itself; true when handled here, so that the
   * default (show the new status, re-read the resource) is skipped.
   */
  protected onOwnEvent(_event: IChangeEvent): boolean {
    return false;
  }
  /** Other events that concern this resource (its trials, its stages ...). */
  protected watches(_event: IChangeEvent): boolean {
    return false;
  }
  /** After each successful read: refresh what the open tab shows. */
  protected onLoaded(_resource: T): void {
    this.onTabShown(this.tab);
  }
  /** A tab became the active one (load its data). */
  protected onTabShown(_tab: string): void {
    // nothing by default
  }

  protected renderPanel(): JSX.Element {
    return <ResourceDetailView panel={this as ResourceDetailPanel<IResource>} />;
  }

  /** For the view. */
  renderParts(): { tabs: IDetailTab[]; actions: IToolbarAction[]; detail: string; extra: React.ReactNode } {
    const r = this._resource;
    return {
      tabs: r ? this.tabs() : [],
      actions: r ? [...this.renameAction(r), ...this.actions(r)] : [],
      detail: r ? this.statusDetail(r) : '',
      extra: r ? this.headerExtra(r) : null
    };
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    const ours = isOwnEvent(event, this.options.api.kind, this.options.id, this._resource?.id);
    if (!ours && !this.watches(event)) {
      return;
    }
    if (ours && this.onOwnEvent(event)) {
      return;
    }
    if (ours && event.change === 'deleted') {
      this._error = this.trans.__('This resource was deleted.');
      this.update();
      return;
    }
    if (ours && this._resource && event.status) {
      // show the new status at once; the full record follows
      this._resource = { ...this._resource, status: event.status };
      this.update();
    }
    if (!this.seen) {
      this._stale = true;
      return;
    }
    if (this._timer === null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        void this.reload();
      }, 150);
    }
  }

  private _onTick(): void {
    const r = this._resource;
    if (this.seen && (!r || !this.isFinal(r))) {
      void this.reload();
    } else {
      this._stale = true;
    }
  }

  private _resource: T | null = null;
  private _reads = 0;
  private _error: string | null = null;
  private _tab: string;
  private _stale = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}

function ResourceDetailView(props: { panel: ResourceDetailPanel<IResource> }): JSX.Element {
  const { panel } = props;
  const trans = useTrans();
  const r = panel.resource;
  if (!r) {
    return (
      <div className="jp-EasyMaker-detailBody">
        {panel.error ? <div className="jp-EasyMaker-error" role="alert">{panel.error}</div> : trans.__('Loading…')}
      </div>
    );
  }
  const { tabs, actions, detail, extra } = panel.renderParts();
  const active = tabs.find(t => t.id === panel.tab) ?? tabs[0];
  return (
    <div className="jp-EasyMaker-detailBody" data-status={r.status}>
      <div className="jp-EasyMaker-detailHeader">
        <h2 className="jp-EasyMaker-detailTitle">{r.name}</h2>
        <StatusBadge status={r.status} title={r.status_reason} />
        {detail ? <span className="jp-EasyMaker-statusDetail">({detail})</span> : null}
        {extra}
        <span className="jp-EasyMaker-spacer" />
        {actions.map(a => (
          <button
            key={a.id}
            type="button"
            data-action={a.id}
            title={a.title}
            disabled={a.disabled}
            className={'jp-EasyMaker-button' + (a.primary ? ' jp-mod-accept' : '') + (a.danger ? ' jp-mod-warn' : '')}
            onClick={() => a.onClick()}
          >
            {a.label}
          </button>
        ))}
      </div>
      {panel.error ? <div className="jp-EasyMaker-error" role="alert">{panel.error}</div> : null}
      <Tabs tabs={tabs.map(t => ({ id: t.id, label: t.label, disabled: t.disabled }))} active={active?.id ?? ''} onChange={id => panel.setTab(id)} />
      <div className="jp-EasyMaker-tabBody" data-tab-body={active?.id}>
        {active ? active.render() : null}
      </div>
    </div>
  );
}
