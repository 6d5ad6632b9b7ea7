/**
 * The results of a COMPLETE batch inference: the summary per input file
 * (records, predictions, errors) and a page-by-page look at one output
 * file, where records that failed show their error.
 */
import * as React from 'react';

import { useTrans } from '../../shared/i18n/react';
import { errorText } from '../../shared/state/listModel';
import type { BatchInferencesApi, IBatchInference, IBatchOutputs } from './api';

interface IFileSummary {
  input: string;
  output: string;
  records: number;
  predictions: number;
  errors: number;
}

const PAGE = 50;

export function BatchOutputs(props: { api: BatchInferencesApi; batch: IBatchInference }): JSX.Element {
  const trans = useTrans();
  const { api, batch } = props;
  const files = ((batch.result?.files as IFileSummary[] | undefined) ?? []).filter(f => f && f.output);
  const [file, setFile] = React.useState(files[0]?.output ?? '');
  const [offset, setOffset] = React.useState(0);
  const [page, setPage] = React.useState<IBatchOutputs | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [errorsOnly, setErrorsOnly] = React.useState(false);
  React.useEffect(() => {
    if (batch.status !== 'COMPLETE' || !file) {
      return;
    }
    let cancelled = false;
    api
      .outputs(batch.id, { file, offset, limit: PAGE })
      .then(p => !cancelled && (setPage(p), setError(null)))
      .catch(e => !cancelled && setError(errorText(e)));
    return () => {
      cancelled = true;
    };
  }, [batch.id, batch.status, file, offset]);

  if (batch.status !== 'COMPLETE') {
    return <div className="jp-EasyMaker-empty">{trans.__('Results can be read once the batch inference is COMPLETE.')}</div>;
  }
  const lines = (page?.lines ?? []).filter(l => !errorsOnly || 'error' in l);
  return (
    <div className="jp-EasyMaker-batchOutputs" data-role="outputs">
      <table className="jp-EasyMaker-details" data-role="files">
        <thead>
          <tr>
            <th>{trans.__('Input file')}</th>
            <th>{trans.__('Output file')}</th>
            <th>{trans.__('Records')}</th>
            <th>{trans.__('Predictions')}</th>
            <th>{trans.__('Errors')}</th>
          </tr>
        </thead>
        <tbody>
          {files.map(f => (
            <tr key={f.output} className={f.output === file ? 'jp-mod-selected' : undefined} onClick={() => (setFile(f.output), setOffset(0))}>
              <td>{f.input}</td>
              <td>
                <code>{f.output}</code>
              </td>
              <td>{f.records}</td>
              <td>{f.predictions}</td>
              <td className={f.errors ? 'jp-EasyMaker-errorCount' : undefined}>{f.errors}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="jp-EasyMaker-inlineControls">
        <button type="button" className="jp-EasyMaker-button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
          {trans.__('Previous')}
        </button>
        <span>{trans.__('Lines %1–%2 of %3', offset + 1, offset + (page?.lines.length ?? 0), file)}</span>
        <button type="button" className="jp-EasyMaker-button" disabled={!page || page.next_offset === null} onClick={() => page?.next_offset !== null && page && setOffset(page.next_offset)}>
          {trans.__('Next')}
        </button>
        <label>
          <input type="checkbox" checked={errorsOnly} onChange={e => setErrorsOnly(e.target.checked)} /> {trans.__('Only records that failed')}
        </label>
      </div>
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
      <table className="jp-EasyMaker-details jp-EasyMaker-outputLines" data-role="lines">
        <tbody>
          {lines.map((line, i) => (
            <tr key={i} className={'error' in line ? 'jp-mod-error' : undefined}>
              <td>
                <code>{JSON.stringify(line)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
