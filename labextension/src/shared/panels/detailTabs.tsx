/** Tabs and rows every detail tab builds on: the overview with its identity rows, the status history, links. */
import * as React from 'react';

import type { IResource, IStatusEvent } from '../api/types';
import type { ITrans } from '../i18n';
import { DetailTable } from './base';
import { StatusHistory } from './cells';
import type { IDetailTab } from './resourceDetail';

/** Label / value rows of a details table. */
export type DetailRows = [string, React.ReactNode][];

/** Name, ID and description: the first rows of every overview. */
export function identityRows(trans: ITrans, r: IResource): DetailRows {
  return [
    [trans.__('Name'), r.name],
    [trans.__('ID'), <code>{r.id}</code>],
    [trans.__('Description'), r.description]
  ];
}

/**
 * The overview tab: the resource's identity rows, then the kind's own
 * rows; `before` / `after` go around the table (a tuning's best trial, a
 * stage's curl example).
 */
export function overviewTab(
  trans: ITrans,
  r: IResource,
  rows: DetailRows | (() => DetailRows),
  around: { before?: () => React.ReactNode; after?: () => React.ReactNode } = {}
): IDetailTab {
  return {
    id: 'overview',
    label: trans.__('Overview'),
    render: () => (
      <div className="jp-EasyMaker-overview" data-role="overview">
        {around.before?.()}
        <DetailTable rows={[...identityRows(trans, r), ...(typeof rows === 'function' ? rows() : rows)]} />
        {around.after?.()}
      </div>
    )
  };
}

/** The status history tab. */
export function historyTab(trans: ITrans, history: IStatusEvent[] | null | undefined): IDetailTab {
  return { id: 'history', label: trans.__('Status history'), render: () => <StatusHistory history={history} /> };
}

/** A link to another resource (styled as a name) that runs a command. */
export function CommandLink(props: { label: string; onClick(): void; role?: string }): JSX.Element {
  return (
    <button type="button" className="jp-EasyMaker-name" data-role={props.role} onClick={props.onClick}>
      {props.label}
    </button>
  );
}
