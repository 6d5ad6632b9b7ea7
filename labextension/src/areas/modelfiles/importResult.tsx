/** What an import did: the counts and one line per bad entry (no Lumino widgets here: unit-tested). */
import * as React from 'react';

import { useTrans } from '../../shared/i18n/react';
import type { IImportResult } from './api';
import { importErrorLines, importSummary } from './shaping';

/** The import's outcome: counts and one line per bad entry. */
export function ImportResultView(props: { result: IImportResult | null; error: string | null; onClose(): void }): JSX.Element | null {
  const trans = useTrans();
  const { result, error } = props;
  if (!result && !error) {
    return null;
  }
  const lines = result ? importErrorLines(result.errors ?? []) : [];
  const s = result ? importSummary(result) : null;
  return (
    <div className={`jp-EasyMaker-section ${error || lines.length ? 'jp-EasyMaker-warning' : ''}`} data-role="import-result" style={{ margin: '6px 0' }}>
      {error ? <div className="jp-EasyMaker-error" data-role="import-failed">{error}</div> : null}
      {s ? (
        <div data-role="import-summary">
          {trans.__('Imported: %1 new, %2 updated, %3 with errors', s.imported, s.updated, s.failed)}
        </div>
      ) : null}
      {lines.length ? (
        <ul data-role="import-errors" style={{ margin: '4px 0' }}>
          {lines.map((l, i) => (
            <li key={i} data-role="import-error" className="jp-EasyMaker-error">
              {l}
            </li>
          ))}
        </ul>
      ) : null}
      {result?.models?.some(m => !m.available) ? (
        <div className="jp-EasyMaker-help">{trans.__('Model files whose base model is not an LLM studio model are kept, but cannot chat until their base model exists here.')}</div>
      ) : null}
      <button type="button" className="jp-EasyMaker-button" data-action="close-import-result" onClick={props.onClose}>
        {trans.__('Close')}
      </button>
    </div>
  );
}

