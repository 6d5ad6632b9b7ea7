/**
 * The left sidebar: the areas the server offers, each opening its main-area
 * tab, and a clear message when the server extension is missing or runs
 * another version.
 */
import * as React from 'react';

import { LABEXTENSION_VERSION } from '../../version';
import { useSignal } from '../components/hooks';
import type { EasyMakerContext } from '../context';
import { useTrans } from '../i18n/react';
import type { AreaRegistry } from '../plugin/areaRegistry';
import { EasyMakerPanel } from './base';

export interface ISidebarOptions {
  /** The areas, with their panels. */
  areas: AreaRegistry;
  open(area: string): void;
  retry(): void;
}

export class SidebarPanel extends EasyMakerPanel {
  constructor(
    ctx: EasyMakerContext,
    readonly options: ISidebarOptions
  ) {
    super(ctx);
    this.addClass('jp-EasyMaker-sidebar');
  }

  protected renderPanel(): JSX.Element {
    return <SidebarView panel={this} />;
  }
}

function SidebarView(props: { panel: SidebarPanel }): JSX.Element {
  const { panel } = props;
  const { ctx, options } = panel;
  const trans = useTrans();
  useSignal(ctx.handshakeChanged);
  useSignal(ctx.feed.modeChanged);
  const h = ctx.handshake;
  const areas = options.areas.visible(ctx.capabilities.areas);
  return (
    <div className="jp-EasyMaker-sidebarBody">
      <div className="jp-EasyMaker-sidebarHeader">
        <h2>{trans.__('EasyMaker')}</h2>
        <span className={'jp-EasyMaker-live' + (ctx.feed.mode === 'live' ? ' jp-mod-live' : '')} data-mode={ctx.feed.mode}>
          {ctx.feed.mode === 'live' ? trans.__('Live') : ctx.feed.mode === 'connecting' ? trans.__('Connecting') : trans.__('Polling')}
        </span>
      </div>
      {h.kind === 'pending' ? <div className="jp-EasyMaker-help">{trans.__('Connecting to the server extension…')}</div> : null}
      {h.kind === 'missing' ? (
        <div className="jp-EasyMaker-error" role="alert" data-role="handshake-error">
          <strong>{trans.__('The jupyter-easymaker server extension is not enabled.')}</strong>
          <p>{trans.__('The API answered 404. Install the Python package and enable it, then restart JupyterLab:')}</p>
          <pre>pip install jupyter_easymaker{'\n'}jupyter server extension enable jupyter_easymaker</pre>
          <button type="button" className="jp-EasyMaker-button" onClick={options.retry}>
            {trans.__('Try again')}
          </button>
        </div>
      ) : null}
      {h.kind === 'error' ? (
        <div className="jp-EasyMaker-error" role="alert" data-role="handshake-error">
          <strong>{trans.__('The jupyter-easymaker server extension did not answer.')}</strong>
          <p>{h.message}</p>
          <button type="button" className="jp-EasyMaker-button" onClick={options.retry}>
            {trans.__('Try again')}
          </button>
        </div>
      ) : null}
      {h.kind === 'mismatch' ? (
        <div className="jp-EasyMaker-warning" role="alert" data-role="handshake-mismatch">
          {trans.__(
            'Version mismatch: the server extension is %1 but this JupyterLab extension is %2. Reinstall jupyter_easymaker and restart JupyterLab.',
            h.server,
            h.client
          )}
        </div>
      ) : null}
      {areas.length ? (
        <ul className="jp-EasyMaker-areas" role="list">
          {areas.map(a => (
            <li key={a.id}>
              <button type="button" className="jp-EasyMaker-area" data-area={a.id} onClick={() => options.open(a.id)}>
                {trans.__(a.label ?? a.id)}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {h.kind === 'ok' || h.kind === 'mismatch' ? (
        <div className="jp-EasyMaker-sidebarFooter">
          {trans.__('Server %1 · extension %2', h.info.version, LABEXTENSION_VERSION)}
        </div>
      ) : null}
    </div>
  );
}
