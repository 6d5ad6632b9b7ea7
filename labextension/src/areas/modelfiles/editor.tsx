/**
 * A model file's create / edit form: avatar (uploaded as a data URI), name,
 * id, base model (an LLM studio model), description, system prompt,
 * parameters, prompt suggestions, knowledge (RAGs of this server), tool
 * ids, vision, tags and hidden. What the form does not show (unknown params
 * and meta keys, other capabilities) is kept on save.
 */
import { Notification } from '@jupyterlab/apputils';
import * as React from 'react';

import { ApiError } from '../../shared/api/client';
import type { IPage } from '../../shared/api/types';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { EasyMakerPanel } from '../../shared/panels/base';
import { errorText } from '../../shared/state/listModel';
import { IModelFile, modelFilesApi } from './api';
import { Avatar } from './parts';
import { EMPTY_DRAFT, IModelFileDraft, draftOf, draftProblems, formOf, idFromName, patchOf } from './shaping';

/** Largest avatar accepted (the data URI goes into the record). */
export const MAX_AVATAR_BYTES = 512 * 1024;

interface IPick {
  name: string;
  label: string;
  disabled?: boolean;
}

async function llmChoices(ctx: EasyMakerContext): Promise<IPick[]> {
  const page = await ctx.api.client.get<IPage<{ name: string; status: string; kind: string; parameters_label?: string | null }>>('llm/models', { limit: 1000, sort: 'name' });
  return page.items
    .filter(m => m.kind !== 'embedding')
    .map(m => ({ name: m.name, label: `${m.name}${m.parameters_label ? ` · ${m.parameters_label}` : ''} (${m.status})` }));
}

async function ragChoices(ctx: EasyMakerContext): Promise<IPick[]> {
  const page = await ctx.api.client.get<IPage<{ id: string; name: string; status: string }>>('rags', { limit: 1000, sort: 'name' });
  return page.items.map(r => ({ name: r.name, label: `${r.name} (${r.status})` }));
}

function readDataUri(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function ModelFileEditor(props: { panel: ModelFileEditorPanel }): JSX.Element {
  const { panel } = props;
  const { ctx } = panel;
  const trans = useTrans();
  const [draft, setDraft] = React.useState<IModelFileDraft>(panel.initial);
  const [idTouched, setIdTouched] = React.useState(!!panel.original);
  const [bases, setBases] = React.useState<IPick[]>([]);
  const [rags, setRags] = React.useState<IPick[]>([]);
  const [errors, setErrors] = React.useState<{ [field: string]: string }>({});
  const [formError, setFormError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  React.useEffect(() => {
    llmChoices(ctx).then(setBases, () => setBases([]));
    ragChoices(ctx).then(setRags, () => setRags([]));
  }, [ctx]);
  React.useEffect(() => setDraft(panel.initial), [panel.initial]);
  const editing = !!panel.original;
  const set = (patch: Partial<IModelFileDraft>) => {
    const next = { ...draft, ...patch };
    if (!editing && !idTouched && patch.name !== undefined) {
      next.id = idFromName(patch.name);
    }
    setDraft(next);
    const cleared = { ...errors };
    for (const k of Object.keys(patch)) {
      delete cleared[k];
    }
    setErrors(cleared);
  };
  const err = (field: string) =>
    errors[field] ? (
      <div className="jp-EasyMaker-error" data-error-for={field}>
        {errors[field]}
      </div>
    ) : null;
  const field = (key: keyof IModelFileDraft, label: string, options: { type?: string; help?: string; rows?: number; disabled?: boolean } = {}) => (
    <label style={{ display: 'block', marginBottom: 8 }}>
      <div>{label}</div>
      {options.rows ? (
        <textarea className="jp-mod-styled" name={key} rows={options.rows} style={{ width: '100%', boxSizing: 'border-box' }} value={String(draft[key] ?? '')} onChange={e => set({ [key]: e.target.value } as Partial<IModelFileDraft>)} />
      ) : (
        <input
          className="jp-mod-styled"
          name={key}
          type={options.type ?? 'text'}
          disabled={options.disabled}
          style={{ width: '100%', boxSizing: 'border-box' }}
          value={String(draft[key] ?? '')}
          onChange={e => {
            if (key === 'id') {
              setIdTouched(true);
            }
            set({ [key]: e.target.value } as Partial<IModelFileDraft>);
          }}
        />
      )}
      {options.help ? <div className="jp-EasyMaker-help">{options.help}</div> : null}
      {err(key)}
    </label>
  );

  const save = async () => {
    const problems = draftProblems(draft);
    if (Object.keys(problems).length) {
      setErrors(problems);
      setFormError(trans.__('Check the marked fields.'));
      return;
    }
    setBusy(true);
    setFormError(null);
    try {
      const api = modelFilesApi(ctx);
      const form = formOf(draft, panel.original);
      const saved = editing ? await api.update(panel.original!.id, patchOf(form, panel.original!)) : await api.create(form);
      Notification.success(trans.__('Model file %1 saved', saved.id), { autoClose: 2500 });
      panel.saved(saved);
    } catch (e) {
      if (e instanceof ApiError && e.field) {
        const key = e.field.replace(/^(params|meta)\./, '').replace(/^suggestion_prompts.*/, 'suggestions').replace(/^capabilities.*/, 'vision');
        setErrors({ ...errors, [key]: e.message });
      }
      setFormError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const onAvatar = async (file: File | undefined) => {
    if (!file) {
      return;
    }
    if (!file.type.startsWith('image/')) {
      setErrors({ ...errors, profile_image_url: trans.__('Choose an image file') });
      return;
    }
    if (file.size > MAX_AVATAR_BYTES) {
      setErrors({ ...errors, profile_image_url: trans.__('The image is larger than %1 KiB', MAX_AVATAR_BYTES / 1024) });
      return;
    }
    set({ profile_image_url: await readDataUri(file) });
  };

  const baseKnown = !draft.base_model_id || bases.some(b => b.name === draft.base_model_id);
  return (
    <div className="jp-EasyMaker-detailBody" data-role="modelfile-form" style={{ maxWidth: 900 }}>
      <div className="jp-EasyMaker-detailHeader">
        <h2 className="jp-EasyMaker-detailTitle">{editing ? trans.__('Edit model file %1', panel.original!.id) : trans.__('Create model file')}</h2>
      </div>
      <fieldset className="jp-EasyMaker-section">
        <legend>{trans.__('Basic information')}</legend>
        <div style={{ display: 'flex', gap: 12, alignItems: 'center', marginBottom: 8 }}>
          <Avatar url={draft.profile_image_url} name={draft.name || '?'} size={56} />
          <label className="jp-EasyMaker-button" style={{ cursor: 'pointer' }}>
            {trans.__('Upload avatar')}
            <input type="file" name="avatar" accept="image/*" style={{ display: 'none' }} onChange={e => void onAvatar(e.target.files?.[0])} />
          </label>
          {draft.profile_image_url ? (
            <button type="button" className="jp-EasyMaker-button" data-action="remove-avatar" onClick={() => set({ profile_image_url: '' })}>
              {trans.__('Remove')}
            </button>
          ) : null}
          {err('profile_image_url')}
        </div>
        {field('name', trans.__('Name'))}
        {field('id', trans.__('Model ID'), { disabled: editing, help: trans.__('Used as the model in chat requests; no whitespace, at most 256 characters. It cannot change later.') })}
        <label style={{ display: 'block', marginBottom: 8 }}>
          <div>{trans.__('Base model')}</div>
          <select className="jp-mod-styled" name="base_model_id" value={draft.base_model_id} onChange={e => set({ base_model_id: e.target.value })}>
            <option value="">{trans.__('(none: override the LLM studio model named like the id)')}</option>
            {!baseKnown ? <option value={draft.base_model_id}>{trans.__('%1 (not an LLM studio model)', draft.base_model_id)}</option> : null}
            {bases.map(b => (
              <option key={b.name} value={b.name}>
                {b.label}
              </option>
            ))}
          </select>
          {err('base_model_id')}
        </label>
        {field('description', trans.__('Description'), { rows: 2 })}
      </fieldset>
      <fieldset className="jp-EasyMaker-section">
        <legend>{trans.__('Model parameters')}</legend>
        {field('system', trans.__('System prompt'), { rows: 6, help: trans.__('Open WebUI variables such as {{CURRENT_DATE}} and {{USER_NAME}} are filled in when it answers.') })}
        <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }}>
          {field('temperature', trans.__('Temperature'), { type: 'number' })}
          {field('top_p', trans.__('Top P'), { type: 'number' })}
          {field('max_tokens', trans.__('Max tokens'), { type: 'number' })}
          {field('seed', trans.__('Seed'), { type: 'number' })}
        </div>
        {field('stop', trans.__('Stop sequences'), { rows: 2, help: trans.__('One per line') })}
      </fieldset>
      <fieldset className="jp-EasyMaker-section" data-role="suggestions">
        <legend>{trans.__('Prompt suggestions')}</legend>
        {draft.suggestions.map((s, i) => (
          <div key={i} style={{ display: 'flex', gap: 6, marginBottom: 4 }}>
            <input
              className="jp-mod-styled"
              name={`suggestion-title-${i}`}
              placeholder={trans.__('Title (optional)')}
              style={{ flex: '0 0 200px' }}
              value={Array.isArray(s.title) ? s.title.join(' ') : s.title ?? ''}
              onChange={e => set({ suggestions: draft.suggestions.map((x, j) => (j === i ? { ...x, title: e.target.value } : x)) })}
            />
            <input
              className="jp-mod-styled"
              name={`suggestion-content-${i}`}
              placeholder={trans.__('Prompt')}
              style={{ flex: '1 1 auto' }}
              value={s.content}
              onChange={e => set({ suggestions: draft.suggestions.map((x, j) => (j === i ? { ...x, content: e.target.value } : x)) })}
            />
            <button type="button" className="jp-EasyMaker-button" data-action="remove-suggestion" onClick={() => set({ suggestions: draft.suggestions.filter((_, j) => j !== i) })}>
              {trans.__('Remove')}
            </button>
          </div>
        ))}
        <button type="button" className="jp-EasyMaker-button" data-action="add-suggestion" onClick={() => set({ suggestions: [...draft.suggestions, { content: '' }] })}>
          {trans.__('Add suggestion')}
        </button>
        {err('suggestions')}
      </fieldset>
      <fieldset className="jp-EasyMaker-section" data-role="knowledge">
        <legend>{trans.__('Knowledge (RAG)')}</legend>
        {rags.length ? (
          rags.map(r => (
            <label key={r.name} style={{ display: 'block' }}>
              <input
                type="checkbox"
                name={`knowledge-${r.name}`}
                checked={draft.knowledge.includes(r.name)}
                onChange={e => set({ knowledge: e.target.checked ? [...draft.knowledge, r.name] : draft.knowledge.filter(k => k !== r.name) })}
              />{' '}
              {r.label}
            </label>
          ))
        ) : (
          <div className="jp-EasyMaker-help">{trans.__('No RAGs on this server.')}</div>
        )}
        {draft.knowledge
          .filter(k => !rags.some(r => r.name === k))
          .map(k => (
            <div key={k} className="jp-EasyMaker-warning">
              {trans.__('%1 is not a RAG of this server', k)}{' '}
              <button type="button" className="jp-EasyMaker-button" onClick={() => set({ knowledge: draft.knowledge.filter(x => x !== k) })}>
                {trans.__('Remove')}
              </button>
            </div>
          ))}
        <div className="jp-EasyMaker-help">{trans.__('Passages retrieved from the linked RAGs are added to the system prompt of each answer.')}</div>
        {err('knowledge')}
      </fieldset>
      <fieldset className="jp-EasyMaker-section">
        <legend>{trans.__('Capabilities and tags')}</legend>
        <label style={{ display: 'block', marginBottom: 8 }}>
          <input type="checkbox" name="vision" checked={draft.vision} onChange={e => set({ vision: e.target.checked })} /> {trans.__('Vision')}
        </label>
        {field('toolIds', trans.__('Tool ids'), { help: trans.__('Comma-separated') })}
        {field('tags', trans.__('Tags'), { help: trans.__('Comma-separated') })}
        <label style={{ display: 'block', marginBottom: 8 }}>
          <input type="checkbox" name="hidden" checked={draft.hidden} onChange={e => set({ hidden: e.target.checked })} /> {trans.__('Hidden from the model picker')}
        </label>
      </fieldset>
      {formError ? (
        <div className="jp-EasyMaker-error jp-EasyMaker-formError" role="alert">
          {formError}
        </div>
      ) : null}
      <div className="jp-EasyMaker-formButtons">
        <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="submit" disabled={busy} onClick={() => void save()}>
          {editing ? trans.__('Save') : trans.__('Create model file')}
        </button>
        <button type="button" className="jp-EasyMaker-button" data-action="cancel" onClick={() => panel.close()}>
          {trans.__('Cancel')}
        </button>
      </div>
    </div>
  );
}

export class ModelFileEditorPanel extends EasyMakerPanel {
  constructor(
    ctx: EasyMakerContext,
    /** The model file edited (null: a new one). */
    readonly original: IModelFile | null,
    private readonly _onSaved: (saved: IModelFile) => void
  ) {
    super(ctx);
    this.addClass('jp-EasyMaker-createForm');
    this.id = `jp-EasyMaker-modelfile-${original ? original.id : `new-${++counter}`}`;
    this.node.dataset.kind = 'modelfile';
    this.title.label = original ? original.name : ctx.trans.__('Create model file');
    this.title.closable = true;
    this.initial = original ? draftOf(original) : EMPTY_DRAFT;
  }

  initial: IModelFileDraft;

  saved(m: IModelFile): void {
    this._onSaved(m);
    this.close();
  }

  protected renderPanel(): JSX.Element {
    return <ModelFileEditor panel={this} />;
  }
}

let counter = 0;
