/**
 * Prompt templates of the LLM studio: the list, a template's editor (name,
 * description, system prompt, template with {{variables}}, parameters), and
 * filling its variables to send the rendered prompt to the playground.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { confirmDelete } from '../../shared/components/dialogs';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { errorText } from '../../shared/state/listModel';
import { IPromptTemplate, IPromptTemplateBody, llmApi } from './api';
import { templateVariables } from './shaping';

/** What the playground gets from a rendered template. */
export interface IRenderedPrompt {
  system: string;
  user: string;
  template: IPromptTemplate;
}

interface IDraft {
  id: string | null;
  name: string;
  description: string;
  system_prompt: string;
  template: string;
  temperature: string;
  top_p: string;
  max_tokens: string;
  stop: string;
}

const EMPTY: IDraft = { id: null, name: '', description: '', system_prompt: '', template: '', temperature: '', top_p: '', max_tokens: '', stop: '' };

function draftOf(t: IPromptTemplate): IDraft {
  const p = t.parameters ?? {};
  const s = (v: unknown) => (v === null || v === undefined ? '' : String(v));
  return {
    id: t.id,
    name: t.name,
    description: t.description ?? '',
    system_prompt: t.system_prompt ?? '',
    template: t.template ?? '',
    temperature: s(p.temperature),
    top_p: s(p.top_p),
    max_tokens: s(p.max_tokens),
    stop: (p.stop ?? []).join('\n')
  };
}

function bodyOf(d: IDraft): IPromptTemplateBody {
  const num = (v: string) => (v.trim() === '' ? null : Number(v));
  return {
    name: d.name.trim(),
    description: d.description,
    system_prompt: d.system_prompt,
    template: d.template,
    parameters: {
      temperature: num(d.temperature),
      top_p: num(d.top_p),
      max_tokens: num(d.max_tokens),
      stop: d.stop.split('\n').filter(s => s !== '')
    }
  };
}

export function PromptTemplatesView(props: { ctx: EasyMakerContext; onSend(prompt: IRenderedPrompt): void }): JSX.Element {
  const { ctx } = props;
  const trans = useTrans();
  const api = llmApi(ctx);
  const [items, setItems] = React.useState<IPromptTemplate[]>([]);
  const [draft, setDraft] = React.useState<IDraft>(EMPTY);
  const [values, setValues] = React.useState<{ [name: string]: string }>({});
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const reload = React.useCallback(async () => {
    try {
      setItems(await api.templates());
      setError(null);
    } catch (e) {
      setError(errorText(e));
    }
  }, [api]);
  React.useEffect(() => void reload(), [reload]);
  const variables = templateVariables(draft.template, draft.system_prompt);
  const set = (patch: Partial<IDraft>) => setDraft({ ...draft, ...patch });

  const save = async (): Promise<IPromptTemplate | null> => {
    setBusy(true);
    try {
      const saved = draft.id ? await api.updateTemplate(draft.id, bodyOf(draft)) : await api.createTemplate(bodyOf(draft));
      setDraft(draftOf(saved));
      setError(null);
      await reload();
      Notification.success(trans.__('Prompt template %1 saved', saved.name), { autoClose: 2000 });
      return saved;
    } catch (e) {
      setError(errorText(e));
      return null;
    } finally {
      setBusy(false);
    }
  };

  const send = async () => {
    const saved = await save();
    if (!saved) {
      return;
    }
    try {
      const rendered = await api.render(saved.id, Object.fromEntries(variables.map(v => [v, values[v] ?? ''])));
      const system = rendered.messages.filter(m => m.role === 'system').map(m => m.content).join('\n\n');
      const users = rendered.messages.filter(m => m.role === 'user');
      props.onSend({ system, user: users.length ? users[users.length - 1].content : '', template: saved });
    } catch (e) {
      setError(errorText(e));
    }
  };

  const remove = async (t: IPromptTemplate) => {
    if (!(await confirmDelete(trans.__('prompt templates'), [t.name], trans))) {
      return;
    }
    try {
      await api.removeTemplate(t.id);
      if (draft.id === t.id) {
        setDraft(EMPTY);
      }
      await reload();
    } catch (e) {
      setError(errorText(e));
    }
  };

  const input = (key: keyof IDraft, label: string, type = 'text') => (
    <label style={{ display: 'block', marginBottom: 6 }}>
      {label}
      <input className="jp-mod-styled" style={{ width: '100%', boxSizing: 'border-box' }} type={type} name={`template-${key}`} value={draft[key] ?? ''} onChange={e => set({ [key]: e.target.value })} />
    </label>
  );

  return (
    <div style={{ display: 'flex', gap: 16, alignItems: 'flex-start', flexWrap: 'wrap' }} data-role="prompt-templates">
      <div style={{ flex: '0 0 260px' }}>
        <div className="jp-EasyMaker-formButtons">
          <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="new-template" onClick={() => setDraft(EMPTY)}>
            {trans.__('New template')}
          </button>
        </div>
        <table className="jp-EasyMaker-details" data-role="template-list">
          <tbody>
            {items.map(t => (
              <tr key={t.id} data-template={t.name} style={{ background: t.id === draft.id ? 'var(--jp-layout-color2)' : undefined }}>
                <td>
                  <button type="button" className="jp-EasyMaker-name" onClick={() => setDraft(draftOf(t))} title={t.description || t.name}>
                    {t.name}
                  </button>
                  <div className="jp-EasyMaker-help">{(t.variables ?? []).map(v => `{{${v}}}`).join(' ')}</div>
                </td>
                <td style={{ width: 1 }}>
                  <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="delete-template" onClick={() => void remove(t)}>
                    {trans.__('Delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {!items.length ? <div className="jp-EasyMaker-empty">{trans.__('No prompt templates yet.')}</div> : null}
      </div>
      <div style={{ flex: '1 1 480px', maxWidth: 900 }} data-role="template-editor">
        {input('name', trans.__('Name'))}
        {input('description', trans.__('Description'))}
        <label style={{ display: 'block', marginBottom: 6 }}>
          {trans.__('System prompt')}
          <textarea className="jp-mod-styled" name="template-system_prompt" rows={2} style={{ width: '100%', boxSizing: 'border-box' }} value={draft.system_prompt} onChange={e => set({ system_prompt: e.target.value })} />
        </label>
        <label style={{ display: 'block', marginBottom: 6 }}>
          {trans.__('Template')}
          <textarea
            className="jp-mod-styled"
            name="template-template"
            rows={6}
            style={{ width: '100%', boxSizing: 'border-box', fontFamily: 'var(--jp-code-font-family)' }}
            placeholder={trans.__('Summarise {{text}} in {{language}}.')}
            value={draft.template}
            onChange={e => set({ template: e.target.value })}
          />
        </label>
        <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
          {input('temperature', trans.__('Temperature'), 'number')}
          {input('top_p', trans.__('Top P'), 'number')}
          {input('max_tokens', trans.__('Max tokens'), 'number')}
          <label style={{ display: 'block' }}>
            {trans.__('Stop sequences')}
            <textarea className="jp-mod-styled" name="template-stop" rows={1} value={draft.stop} onChange={e => set({ stop: e.target.value })} />
          </label>
        </div>
        {variables.length ? (
          <fieldset className="jp-EasyMaker-section" data-role="template-variables">
            <legend>{trans.__('Variables')}</legend>
            {variables.map(v => (
              <label key={v} style={{ display: 'block', marginBottom: 6 }}>
                <code>{`{{${v}}}`}</code>
                <textarea className="jp-mod-styled" name={`variable-${v}`} rows={1} style={{ width: '100%', boxSizing: 'border-box' }} value={values[v] ?? ''} onChange={e => setValues({ ...values, [v]: e.target.value })} />
              </label>
            ))}
          </fieldset>
        ) : null}
        {error ? <div className="jp-EasyMaker-error" data-role="template-error">{error}</div> : null}
        <div className="jp-EasyMaker-formButtons">
          <button type="button" className="jp-EasyMaker-button" data-action="save-template" disabled={busy || !draft.name.trim() || !draft.template.trim()} onClick={() => void save()}>
            {trans.__('Save')}
          </button>
          <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="send-template" disabled={busy || !draft.name.trim() || !draft.template.trim()} onClick={() => void send()}>
            {trans.__('Send to playground')}
          </button>
        </div>
      </div>
    </div>
  );
}

export class PromptTemplatesPanel extends EasyMakerPanel {
  constructor(
    ctx: EasyMakerContext,
    private readonly onSend: (prompt: IRenderedPrompt) => void
  ) {
    super(ctx);
    this.id = 'jp-EasyMaker-llm-templates';
    this.node.dataset.kind = 'llm-templates';
    this.title.label = ctx.trans.__('Prompt templates');
    this.title.closable = true;
  }

  protected renderPanel(): JSX.Element {
    return (
      <div className="jp-EasyMaker-detailBody">
        <div className="jp-EasyMaker-detailHeader">
          <h2 className="jp-EasyMaker-detailTitle">{this.trans.__('Prompt templates')}</h2>
        </div>
        <PromptTemplatesView ctx={this.ctx} onSend={this.onSend} />
      </div>
    );
  }
}
