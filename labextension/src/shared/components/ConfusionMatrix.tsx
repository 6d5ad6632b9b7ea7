/**
 * A confusion matrix as a heat map: rows are the true classes, columns the
 * predicted ones; each cell shows its count and is shaded by its share of
 * the row (so the diagonal reads as recall per class).
 */
import * as React from 'react';

import { useTrans } from '../i18n/react';
import { rowShares } from '../state/chartScale';

export function ConfusionMatrix(props: { labels: string[]; matrix: number[][]; title?: string }): JSX.Element {
  const trans = useTrans();
  const shares = rowShares(props.matrix);
  return (
    <figure className="jp-EasyMaker-confusion" data-chart="confusion-matrix">
      {props.title ? <figcaption className="jp-EasyMaker-chartTitle">{props.title}</figcaption> : null}
      <table>
        <thead>
          <tr>
            <th className="jp-EasyMaker-confusionCorner">
              {trans.__('True')} \ {trans.__('Predicted')}
            </th>
            {props.labels.map(l => (
              <th key={l} scope="col">
                {l}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.matrix.map((row, i) => (
            <tr key={i}>
              <th scope="row">{props.labels[i] ?? i}</th>
              {row.map((v, j) => (
                <td
                  key={j}
                  data-cell={`${i},${j}`}
                  className={i === j ? 'jp-mod-diagonal' : undefined}
                  style={{ '--jp-EasyMaker-share': shares[i][j].toFixed(3) } as React.CSSProperties}
                  title={`${(100 * shares[i][j]).toFixed(1)} %`}
                >
                  {v}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
