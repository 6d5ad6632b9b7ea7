/** The hyperparameters table of a training (its tab) and of a template. */
import * as React from 'react';

import { useTrans } from '../../shared/i18n/react';

/** Key / value rows of hyperparameters (a training's, a template's). */
export function Hyperparameters(props: { values: { [key: string]: unknown } }): JSX.Element {
  const trans = useTrans();
  const entries = Object.entries(props.values);
  if (!entries.length) {
    return <div className="jp-EasyMaker-empty">{trans.__('No hyperparameters.')}</div>;
  }
  return (
    <table className="jp-EasyMaker-details" data-role="hyperparameters">
      <thead>
        <tr>
          <th>{trans.__('Key')}</th>
          <th>{trans.__('Value')}</th>
        </tr>
      </thead>
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <td>{k}</td>
            <td>{String(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
