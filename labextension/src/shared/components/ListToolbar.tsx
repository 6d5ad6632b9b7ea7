/** Search, status filter, counts, live indicator and the actions of a table. */
import * as React from 'react';

import type { FeedMode } from '../api/events';
import { useTrans } from '../i18n/react';
import type { IListQuery } from '../state/listModel';
import { useDebounced } from './hooks';

export interface IToolbarAction {
  id: string;
  label: string;
  title?: string;
  disabled?: boolean;
  primary?: boolean;
  danger?: boolean;
  onClick(): void;
}

export interface IListToolbarProps {
  query: IListQuery;
  statuses: readonly string[];
  total: number | null;
  selected: number;
  loading: boolean;
  mode: FeedMode;
  actions: IToolbarAction[];
  onQuery(query: Partial<IListQuery>): void;
  onRefresh(): void;
}

export function ListToolbar(props: IListToolbarProps): JSX.Element {
  const trans = useTrans();
  const [search, setSearch] = React.useState(props.query.search);
  const debounced = useDebounced(search, 250);
  const [open, setOpen] = React.useState(false);
  const onQuery = props.onQuery;
  React.useEffect(() => {
    if (debounced !== props.query.search) {
      onQuery({ search: debounced });
    }
  }, [debounced]);

  const toggleStatus = (status: string) => {
    const current = new Set(props.query.status);
    if (current.has(status)) {
      current.delete(status);
    } else {
      current.add(status);
    }
    props.onQuery({ status: props.statuses.filter(s => current.has(s)) });
  };

  const live = props.mode === 'live';
  return (
    <div className="jp-EasyMaker-toolbar">
      <div className="jp-EasyMaker-toolbarRow">
        {props.actions.map(a => (
          <button
            key={a.id}
            type="button"
            data-action={a.id}
            title={a.title ?? a.label}
            disabled={a.disabled}
            className={
              'jp-EasyMaker-button' +
              (a.primary ? ' jp-mod-accept' : '') +
              (a.danger ? ' jp-mod-warn' : '')
            }
            onClick={a.onClick}
          >
            {a.label}
          </button>
        ))}
        <span className="jp-EasyMaker-spacer" />
        <span
          className={'jp-EasyMaker-live' + (live ? ' jp-mod-live' : '')}
          data-mode={props.mode}
          title={
            live
              ? trans.__('Changes appear as they happen (server-sent events)')
              : trans.__('The live stream is unavailable: re-reading every refresh interval')
          }
        >
          {live ? trans.__('Live') : props.mode === 'connecting' ? trans.__('Connecting') : trans.__('Polling')}
        </span>
        <button type="button" className="jp-EasyMaker-button" data-action="refresh" onClick={props.onRefresh} title={trans.__('Refresh')}>
          {trans.__('Refresh')}
        </button>
      </div>
      <div className="jp-EasyMaker-toolbarRow">
        <input
          type="search"
          className="jp-EasyMaker-search jp-mod-styled"
          placeholder={trans.__('Search by name or description')}
          aria-label={trans.__('Search by name or description')}
          value={search}
          onChange={e => setSearch(e.target.value)}
        />
        <div className="jp-EasyMaker-filter">
          <button
            type="button"
            className={'jp-EasyMaker-button' + (props.query.status.length ? ' jp-mod-active' : '')}
            data-action="status-filter"
            aria-expanded={open}
            onClick={() => setOpen(!open)}
          >
            {props.query.status.length
              ? trans.__('Status (%1)', props.query.status.length)
              : trans.__('Status: all')}
          </button>
          {open ? (
            <div className="jp-EasyMaker-filterMenu" role="menu">
              {props.statuses.map(s => (
                <label key={s} className="jp-EasyMaker-filterItem">
                  <input type="checkbox" checked={props.query.status.includes(s)} onChange={() => toggleStatus(s)} />
                  {s}
                </label>
              ))}
              <button type="button" className="jp-EasyMaker-button" onClick={() => props.onQuery({ status: [] })}>
                {trans.__('Clear filter')}
              </button>
            </div>
          ) : null}
        </div>
        <span className="jp-EasyMaker-count" data-role="count">
          {props.total === null
            ? trans.__('Loading…')
            : trans.__('Total: %1', props.total.toLocaleString('en-US'))}
          {props.selected ? ' · ' + trans.__('%1 selected', props.selected) : ''}
          {props.loading ? ' ·' : ''}
        </span>
      </div>
    </div>
  );
}
