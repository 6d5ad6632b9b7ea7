/**
 * A virtualized table over a ResourceListModel: only the rows in view (and
 * a few around them) are in the DOM, and only their pages are fetched, so
 * 10,000 rows scroll like 50. Click selects, ctrl/cmd-click toggles,
 * shift-click selects a range, double-click or Enter opens.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import * as React from 'react';

import type { IResource } from '../api/types';
import { useTrans } from '../i18n/react';
import type { ResourceListModel } from '../state/listModel';
import { useSignal } from './hooks';

/** Height of the header row (px), kept in sync with the CSS. */
const HEADER_HEIGHT = 28;

export interface IColumn<T> {
  id: string;
  /** Translated header. */
  label: string;
  /** CSS grid track, e.g. `minmax(160px, 2fr)` or `110px`. */
  width: string;
  /** The list's sort key when the header is clicked. */
  sortKey?: string;
  render(row: T): React.ReactNode;
}

export interface IVirtualTableProps<T extends IResource> {
  model: ResourceListModel<T>;
  columns: IColumn<T>[];
  onOpen(row: T): void;
  rowHeight?: number;
  /** Shown when the list is empty. */
  empty: string;
}

export function VirtualTable<T extends IResource>(props: IVirtualTableProps<T>): JSX.Element {
  const { model, columns, onOpen } = props;
  const trans = useTrans();
  useSignal(model.changed);
  const rowHeight = props.rowHeight ?? 30;
  const scrollRef = React.useRef<HTMLDivElement>(null);
  const anchor = React.useRef<number>(0);
  const [cursor, setCursor] = React.useState(0);
  const count = model.total ?? 0;

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 15,
    // the sticky header sits above the rows inside the scroller
    scrollMargin: HEADER_HEIGHT,
    // let React batch the renders of a fast scroll instead of one per event
    useFlushSync: false
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index : 0;
  const last = items.length ? items[items.length - 1].index + 1 : 0;

  React.useEffect(() => {
    if (count > 0) {
      model.setVisibleRange(first, last);
    }
  }, [model, first, last, count, model.version]);

  const template = ['32px', ...columns.map(c => c.width)].join(' ');

  const onRowClick = React.useCallback(
    (event: React.MouseEvent, index: number, row: T) => {
      setCursor(index);
      if (event.shiftKey) {
        model.selectRange(anchor.current, index, event.ctrlKey || event.metaKey);
        return;
      }
      anchor.current = index;
      if (event.ctrlKey || event.metaKey) {
        model.toggle(row.id);
      } else {
        model.selectOnly(row.id);
      }
    },
    [model]
  );

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (!count) {
      return;
    }
    let next = cursor;
    if (event.key === 'ArrowDown') {
      next = Math.min(count - 1, cursor + 1);
    } else if (event.key === 'ArrowUp') {
      next = Math.max(0, cursor - 1);
    } else if (event.key === 'Enter') {
      const row = model.rowAt(cursor);
      if (row) {
        onOpen(row);
      }
      return;
    } else if (event.key === ' ') {
      const row = model.rowAt(cursor);
      if (row) {
        model.toggle(row.id);
      }
      event.preventDefault();
      return;
    } else if (event.key === 'a' && (event.ctrlKey || event.metaKey)) {
      model.toggleAllLoaded();
      event.preventDefault();
      return;
    } else {
      return;
    }
    event.preventDefault();
    setCursor(next);
    virtualizer.scrollToIndex(next);
    const row = model.rowAt(next);
    if (row) {
      if (event.shiftKey) {
        model.selectRange(anchor.current, next);
      } else {
        anchor.current = next;
        model.selectOnly(row.id);
      }
    }
  };

  const onToggle = React.useCallback(
    (index: number, row: T) => {
      anchor.current = index;
      model.toggle(row.id);
    },
    [model]
  );

  const sort = model.query.sort;
  const sortBy = (key: string) => {
    const current = sort.replace(/^-/, '');
    const next = current === key ? (sort.startsWith('-') ? key : `-${key}`) : key === 'created_at' || key === 'updated_at' ? `-${key}` : key;
    model.setQuery({ sort: next });
  };

  return (
    <div className="jp-EasyMaker-table" data-total={count}>
      <div
        className="jp-EasyMaker-tableBody"
        ref={scrollRef}
        tabIndex={0}
        onKeyDown={onKeyDown}
        role="grid"
        aria-rowcount={count}
      >
        <div className="jp-EasyMaker-tableHeader" style={{ gridTemplateColumns: template }} role="row">
          <div className="jp-EasyMaker-cell jp-EasyMaker-checkCell">
            <input
              type="checkbox"
              aria-label={trans.__('Select all loaded rows')}
              checked={model.allLoadedSelected()}
              onChange={() => model.toggleAllLoaded()}
            />
          </div>
          {columns.map(c => {
            const active = c.sortKey && sort.replace(/^-/, '') === c.sortKey;
            return (
              <div
                key={c.id}
                role="columnheader"
                data-column={c.id}
                className={'jp-EasyMaker-cell jp-EasyMaker-headCell' + (c.sortKey ? ' jp-mod-sortable' : '')}
                onClick={c.sortKey ? () => sortBy(c.sortKey as string) : undefined}
                aria-sort={active ? (sort.startsWith('-') ? 'descending' : 'ascending') : undefined}
              >
                {c.label}
                {active ? <span className="jp-EasyMaker-sortMark">{sort.startsWith('-') ? ' ▼' : ' ▲'}</span> : null}
              </div>
            );
          })}
        </div>
        {count === 0 && model.total !== null ? (
          <div className="jp-EasyMaker-empty">{props.empty}</div>
        ) : null}
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {items.map(item => {
            const row = model.rowAt(item.index);
            return (
              <TableRow<T>
                key={item.key}
                index={item.index}
                start={item.start - HEADER_HEIGHT}
                height={rowHeight}
                row={row}
                selected={row ? model.isSelected(row.id) : false}
                cursor={item.index === cursor}
                template={template}
                columns={columns}
                selectLabel={row ? trans.__('Select %1', row.name) : ''}
                onRowClick={onRowClick}
                onOpen={onOpen}
                onToggle={onToggle}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

interface ITableRowProps<T extends IResource> {
  index: number;
  start: number;
  height: number;
  row: T | undefined;
  selected: boolean;
  cursor: boolean;
  template: string;
  columns: IColumn<T>[];
  selectLabel: string;
  onRowClick(event: React.MouseEvent, index: number, row: T): void;
  onOpen(row: T): void;
  onToggle(index: number, row: T): void;
}

/**
 * One row; memoized, so a scroll renders only the rows that came into view
 * (a row re-renders when its data, selection or columns change).
 */
function TableRowImpl<T extends IResource>(props: ITableRowProps<T>): JSX.Element {
  const { row, index, columns } = props;
  return (
    <div
      role="row"
      data-index={index}
      data-id={row?.id}
      data-name={row?.name}
      className={
        'jp-EasyMaker-row' +
        (props.selected ? ' jp-mod-selected' : '') +
        (props.cursor ? ' jp-mod-cursor' : '') +
        (row ? '' : ' jp-mod-placeholder')
      }
      style={{
        position: 'absolute',
        top: 0,
        left: 0,
        width: '100%',
        height: props.height,
        transform: `translateY(${props.start}px)`,
        gridTemplateColumns: props.template
      }}
      onClick={row ? e => props.onRowClick(e, index, row) : undefined}
      onDoubleClick={row ? () => props.onOpen(row) : undefined}
    >
      <div className="jp-EasyMaker-cell jp-EasyMaker-checkCell" onClick={e => e.stopPropagation()}>
        {row ? (
          <input type="checkbox" aria-label={props.selectLabel} checked={props.selected} onChange={() => props.onToggle(index, row)} />
        ) : null}
      </div>
      {columns.map(c => (
        <div key={c.id} className="jp-EasyMaker-cell" data-column={c.id}>
          {row ? c.render(row) : <span className="jp-EasyMaker-skeleton" />}
        </div>
      ))}
    </div>
  );
}

const TableRow = React.memo(TableRowImpl) as typeof TableRowImpl;
