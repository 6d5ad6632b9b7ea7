/**
 * The log tail: virtualized lines, follow/pause, search, download.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import * as React from 'react';

import { useTrans } from '../i18n/react';
import type { LogModel } from '../state/logModel';
import { useDebounced, useSignal } from './hooks';

export interface ILogViewProps {
  model: LogModel;
  /** Connection state shown next to the controls. */
  state: string;
  onDownload(): void;
}

export function LogView(props: ILogViewProps): JSX.Element {
  const { model } = props;
  const trans = useTrans();
  useSignal(model.changed);
  const [search, setSearch] = React.useState(model.search);
  const debounced = useDebounced(search, 200);
  React.useEffect(() => model.setSearch(debounced), [debounced]);
  const lines = model.visible();
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: lines.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => 18,
    overscan: 30
  });

  React.useEffect(() => {
    if (model.following && lines.length > 0) {
      virtualizer.scrollToIndex(lines.length - 1, { align: 'end' });
    }
  }, [model.version, model.following]);

  const needle = model.search.trim().toLowerCase();
  return (
    <div className="jp-EasyMaker-logs">
      <div className="jp-EasyMaker-toolbarRow">
        <button
          type="button"
          data-action="follow"
          className={'jp-EasyMaker-button' + (model.following ? ' jp-mod-active' : '')}
          aria-pressed={model.following}
          onClick={() => model.setFollowing(!model.following)}
        >
          {model.following ? trans.__('Pause') : trans.__('Follow')}
          {!model.following && model.pending ? ` (+${model.pending})` : ''}
        </button>
        <input
          type="search"
          className="jp-EasyMaker-search jp-mod-styled"
          placeholder={trans.__('Search logs')}
          aria-label={trans.__('Search logs')}
          value={search}
          onChange={e => setSearch(e.target.value)}
        />
        <button type="button" className="jp-EasyMaker-button" data-action="download-logs" onClick={props.onDownload}>
          {trans.__('Download')}
        </button>
        <span className="jp-EasyMaker-spacer" />
        <span className="jp-EasyMaker-count" data-role="log-state">
          {trans.__('%1 lines', lines.length)} · {props.state}
        </span>
      </div>
      <div className="jp-EasyMaker-logBody" ref={scrollRef} data-role="log-lines">
        {lines.length === 0 ? <div className="jp-EasyMaker-empty">{trans.__('No log lines yet')}</div> : null}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map(item => {
            const record = lines[item.index];
            const level = (record.logLevel ?? '').toUpperCase();
            return (
              <div
                key={record.id}
                className={'jp-EasyMaker-logLine' + (level === 'ERROR' ? ' jp-mod-error' : '')}
                data-level={level}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, transform: `translateY(${item.start}px)` }}
              >
                <span className="jp-EasyMaker-logTime">{record.time?.slice(11, 19)}</span>
                <span className="jp-EasyMaker-logText">{highlight(record.body, needle)}</span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function highlight(text: string, needle: string): React.ReactNode {
  if (!needle) {
    return text;
  }
  const out: React.ReactNode[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  let i: number;
  while ((i = lower.indexOf(needle, at)) >= 0) {
    out.push(text.slice(at, i));
    out.push(<mark key={i}>{text.slice(i, i + needle.length)}</mark>);
    at = i + needle.length;
  }
  out.push(text.slice(at));
  return out;
}
