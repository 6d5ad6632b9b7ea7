/** Table cells shared by the resource panels. */
import * as React from 'react';

import type { ITraining } from '../api/types';
import { useNow } from '../components/hooks';
import { formatElapsed, formatTime, trainingElapsed } from '../state/format';
import { isTrainingActive } from '../status';

/** Elapsed time that ticks every second while the training runs. */
export function ElapsedCell(props: { training: ITraining }): JSX.Element {
  const active = isTrainingActive(props.training.status) && !props.training.finished_at;
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
