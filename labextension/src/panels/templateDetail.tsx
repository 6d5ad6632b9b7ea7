/** One training template: overview, hyperparameters, every saved field. */
import * as React from 'react';

import type { IChangeEvent, ITemplate } from '../api/types';
import { CommandIDs } from '../commands';
import { StatusBadge } from '../components/StatusBadge';
import { Tabs } from '../components/Tabs';
import type { EasyMakerContext } from '../context';
import { useTrans } from '../i18n/react';
import { formatTime } from '../state/format';
import { errorText } from '../state/listModel';
import { DetailTable, EasyMakerPanel } from './base';
import { algorithmText } from './templates';

export class TemplateDetailPanel extends EasyMakerPanel {
  constructor(ctx: EasyMakerContext, readonly templateId: string) {
    super(ctx);
    this.addClass('jp-EasyMaker-detail');
    this.id = `jp-EasyMaker-template-${templateId}`;
    this.title.label = ctx.trans.__('Template');
    this.title.closable = true;
    ctx.feed.changed.connect(this._onChange, this);
    void this.reload();
  }

  tab: 'overview' | 'hyperparameters' | 'spec' = 'overview';

  get template(): ITemplate | null {
    return this._template;
  }

  get error(): string | null {
    return this._error;
  }

  async reload(): Promise<void> {
    try {
      this._template = await this.ctx.api.templates.get(this.templateId);
      this._error = null;
      this.title.label = this._template.name;
    } catch (error) {
      this._error = errorText(error);
    }
    this.update();
  }

  dispose(): void {
    this.ctx.feed.changed.disconnect(this._onChange, this);
    super.dispose();
  }

  protected renderPanel(): JSX.Element {
    return <TemplateView panel={this} />;
  }

  private _onChange(_: unknown, event: IChangeEvent): void {
    if (event.kind === this.ctx.api.templates.kind && event.id === this.templateId) {
      void this.reload();
    }
  }

  private _template: ITemplate | null = null;
  private _error: string | null = null;
}

function TemplateView(props: { panel: TemplateDetailPanel }): JSX.Element {
  const { panel } = props;
  const { ctx } = panel;
  const trans = useTrans();
  const t = panel.template;
  const commands = ctx.app.commands;
  if (!t) {
    return <div className="jp-EasyMaker-detailBody">{panel.error ? <div className="jp-EasyMaker-error">{panel.error}</div> : trans.__('Loading…')}</div>;
  }
  const hps = Object.entries(t.spec?.hyperparameters ?? {});
  return (
    <div className="jp-EasyMaker-detailBody">
      <div className="jp-EasyMaker-detailHeader">
        <h2 className="jp-EasyMaker-detailTitle">{t.name}</h2>
        <StatusBadge status={t.status} />
        <span className="jp-EasyMaker-spacer" />
        <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="use" onClick={() => void commands.execute(CommandIDs.createTraining, { templateId: t.id })}>
          {trans.__('Create training')}
        </button>
        <button type="button" className="jp-EasyMaker-button" data-action="copy" onClick={() => void commands.execute(CommandIDs.createTemplate, { copyFrom: t.id })}>
          {trans.__('Copy')}
        </button>
      </div>
      <Tabs
        tabs={[
          { id: 'overview', label: trans.__('Overview') },
          { id: 'hyperparameters', label: trans.__('Hyperparameters') },
          { id: 'spec', label: trans.__('All fields') }
        ]}
        active={panel.tab}
        onChange={id => {
          panel.tab = id as 'overview';
          panel.update();
        }}
      />
      <div className="jp-EasyMaker-tabBody">
        {panel.tab === 'overview' ? (
          <DetailTable
            rows={[
              [trans.__('Name'), t.name],
              [trans.__('ID'), <code>{t.id}</code>],
              [trans.__('Description'), t.description],
              [trans.__('Algorithm'), algorithmText(t.spec)],
              [trans.__('Instance type'), String(t.spec?.instance_type ?? '')],
              [trans.__('Created'), formatTime(t.created_at)],
              [trans.__('Updated'), formatTime(t.updated_at)]
            ]}
          />
        ) : null}
        {panel.tab === 'hyperparameters' ? (
          <table className="jp-EasyMaker-details" data-role="hyperparameters">
            <thead>
              <tr>
                <th>{trans.__('Key')}</th>
                <th>{trans.__('Value')}</th>
              </tr>
            </thead>
            <tbody>
              {hps.map(([k, v]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>{String(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {panel.tab === 'spec' ? <pre className="jp-EasyMaker-json">{JSON.stringify(t.spec, null, 2)}</pre> : null}
      </div>
    </div>
  );
}
