import * as React from 'react';

import { statusColor } from '../status';

/** A status word of the guide in its colour (the same as the widgets' badge). */
export function StatusBadge(props: { status: string; title?: string }): JSX.Element {
  const color = statusColor(props.status);
  return (
    <span
      className="jp-EasyMaker-badge easymaker-status"
      data-status={props.status}
      title={props.title || props.status}
      style={{ background: color.bg, color: color.fg }}
    >
      {props.status}
    </span>
  );
}
