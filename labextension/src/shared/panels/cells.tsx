/** Table cells shared by the resource panels. */
import * as React from 'react';

import type { IStatusEvent } from '../api/types';
import { useNow } from '../components/hooks';
import { StatusBadge } from '../components/StatusBadge';
import { useTrans } from '../i18n/react';
import { IJobTimes, formatElapsed, formatTime, trainingElapsed } from '../state/format';
import { clockRuns } from '../status';

/** Elapsed time that ticks every second while the training runs. */
export function ElapsedCell(props: { training: IJobTimes }): JSX.Element {
  const active = clockRuns('training', props.training.status) && !props.training.finished_at;
  const now = useNow(1000, active);
  return <span className="jp-EasyMaker-elapsed">{formatElapsed(trainingElapsed(props.training, now))}</span>;
}

export function TimeCell(props: { value: string | null | undefined }): JSX.Element {
  return <span className="jp-EasyMaker-time">{formatTime(props.value)}</span>;
}

/** The name, a link that opens the detail tab. */
export function NameCell(props: { name: string; description?: string; onOpen(): void }): JSX.Element {
  return (
    <button
      type="button"
      className="jp-EasyMaker-name"
      data-role="open"
      title={props.description || props.name}
      onClick={e => {
        e.stopPropagation();
        props.onOpen();
      }}
    >
      {props.name}
    </button>
  );
}

/** A resource's status changes, oldest first: time, status, reason. */
export function StatusHistory(props: { history: IStatusEvent[] | null | undefined }): JSX.Element {
  const trans = useTrans();
  const history = props.history ?? [];
  return (
    <table className="jp-EasyMaker-details" data-role="history">
      <thead>
        <tr>
          <th>{trans.__('Time')}</th>
          <th>{trans.__('Status')}</th>
          <th>{trans.__('Reason')}</th>
        </tr>
      </thead>
      <tbody>
        {history.map((h, i) => (
          <tr key={i}>
            <td>{formatTime(h.at)}</td>
            <td>
              <StatusBadge status={h.status} />
            </td>
            <td>{h.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Records done of the total as a bar (the total is unknown while counting). */
export function ProgressCell(props: { done: number; total?: number | null; errors?: number }): JSX.Element {
  const trans = useTrans();
  const { done, total, errors } = props;
  const percent = total ? Math.min(100, (100 * done) / total) : null;
  const text = total ? `${done.toLocaleString()} / ${total.toLocaleString()}` : done.toLocaleString();
  return (
    <span className="jp-EasyMaker-progress" data-percent={percent === null ? '' : percent.toFixed(1)} title={errors ? trans.__('%1 records failed', errors) : undefined}>
      <span className="jp-EasyMaker-progressBar">
        <span className="jp-EasyMaker-progressFill" style={{ width: `${percent ?? 0}%` }} />
      </span>
      <span className="jp-EasyMaker-progressText">
        {text}
        {errors ? <span className="jp-EasyMaker-progressErrors"> ({errors}✗)</span> : null}
      </span>
    </span>
  );
}

/** A number in a table cell: 4 significant digits, '-' when missing. */
export function NumberCell(props: { value: unknown }): JSX.Element {
  const v = props.value;
  return <span className="jp-EasyMaker-number">{typeof v === 'number' && Number.isFinite(v) ? Number(v.toPrecision(4)).toString() : '-'}</span>;
}
