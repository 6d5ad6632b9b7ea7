/** A key/value table (the panels' DetailTable, without the Lumino widgets its module brings). */
import * as React from 'react';

export function DetailRowsTable(props: { rows: [string, React.ReactNode][] }): JSX.Element {
  return (
    <table className="jp-EasyMaker-details">
      <tbody>
        {props.rows.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v === '' || v === null || v === undefined ? '-' : v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
