import * as React from 'react';

export interface ITabInfo {
  id: string;
  label: string;
  disabled?: boolean;
}

/** A tab bar; the caller renders the active tab's content. */
export function Tabs(props: {
  tabs: ITabInfo[];
  active: string;
  onChange: (id: string) => void;
}): JSX.Element {
  return (
    <div className="jp-EasyMaker-tabs" role="tablist">
      {props.tabs.map(tab => (
        <button
          key={tab.id}
          role="tab"
          type="button"
          data-tab={tab.id}
          aria-selected={props.active === tab.id}
          disabled={tab.disabled}
          className={'jp-EasyMaker-tab' + (props.active === tab.id ? ' jp-mod-active' : '')}
          onClick={() => props.onChange(tab.id)}
        >
          {tab.label}
        </button>
      ))}
    </div>
  );
}
