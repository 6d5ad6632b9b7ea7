/**
 * The detail tab of a job that runs over records of a model (a batch
 * inference, a model evaluation): stop / copy / delete in the header by its
 * kind's status words; the overview, the kind's own tabs, the logs (read
 * with `?after=` until the job has settled) and the status history.
 */
import * as React from 'react';

import type { IResource, IStatusEvent } from '../api/types';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { StatusKind, isSettled, isStoppable, settledOf } from '../status';
import { DetailRows, historyTab, overviewTab } from './detailTabs';
import type { ILogPage } from './logPoller';
import { PolledLogs } from './polledLogs';
import { IDetailTab, ResourceDetailPanel } from './resourceDetail';

export interface IJobResource extends IResource {
  history?: IStatusEvent[] | null;
}

/** What the job detail reads and does through the family's API. */
export interface IJobApi<T extends IJobResource> {
  readonly kind: string;
  get(ref: string): Promise<T>;
  stop(ref: string): Promise<unknown>;
  remove(ref: string): Promise<void>;
  logs(ref: string, after: number): Promise<ILogPage>;
}

export interface IJobDetailOptions<T extends IJobResource> {
  api: IJobApi<T>;
  /** Its status words: what may be stopped, when it has settled. */
  kind: StatusKind;
  id: string;
  /** Widget id prefix and CSS hook (`batch-inference`). */
  name: string;
  tab?: string;
  /** Tab title until the job is read. */
  title: string;
  /** The create command that copies it (`{ copyFrom: id }`). */
  copyCommand: string;
  /** The kind in the delete dialog (plural). */
  noun: string;
  /** Saves a new name and description: the header shows "Rename". */
  rename?(ref: string, body: { name: string; description: string }): Promise<T>;
}

export abstract class JobDetailPanel<T extends IJobResource> extends ResourceDetailPanel<T> {
  constructor(ctx: EasyMakerContext, readonly job: IJobDetailOptions<T>) {
    super(ctx, { api: job.api, id: job.id, finalStatuses: settledOf(job.kind), name: job.name, tab: job.tab, rename: job.rename });
    this.title.label = job.title;
  }

  /** The kind's own overview rows (after name, ID and description). */
  protected abstract overviewRows(r: T): DetailRows;
  /** The kind's own tabs, between the overview and the logs. */
  protected abstract jobTabs(r: T): IDetailTab[];

  protected actions(r: T): IToolbarAction[] {
    const { job } = this;
    return this.jobActions(r, {
      stop: { run: () => job.api.stop(r.id), allowed: isStoppable(job.kind, r.status) },
      copy: () => void this.ctx.app.commands.execute(job.copyCommand, { copyFrom: r.id }),
      remove: { run: () => job.api.remove(r.id), allowed: this.isFinal(r), noun: job.noun }
    });
  }

  protected tabs(): IDetailTab[] {
    const { trans, job } = this;
    const r = this.resource as T;
    return [
      overviewTab(trans, r, () => this.overviewRows(r)),
      ...this.jobTabs(r),
      {
        id: 'logs',
        label: trans.__('Logs'),
        render: () => (
          <PolledLogs fetch={after => job.api.logs(r.id, after)} isFinal={status => isSettled(job.kind, status)} filename={`${r.name}.log`} />
        )
      },
      historyTab(trans, r.history)
    ];
  }
}
