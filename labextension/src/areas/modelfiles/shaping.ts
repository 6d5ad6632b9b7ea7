/**
 * Model files without DOM (unit-tested): the editor's draft from a record
 * and the ModelForm from the draft (unknown keys of params and meta kept),
 * tags and suggestions in their shapes, an import file read as Open WebUI
 * reads it, and the import's per-entry errors as lines.
 */
import type { IChatModelChoice } from '../../shared/components/chat/ChatView';
import type { IChatModelInfo } from '../../shared/components/chat/openaiStream';
import type { IImportError, IImportResult, IKnowledge, IModelFile, IModelFileForm, ISuggestion } from './api';

/** What the editor edits. */
export interface IModelFileDraft {
  id: string;
  name: string;
  base_model_id: string;
  description: string;
  profile_image_url: string;
  system: string;
  temperature: string;
  top_p: string;
  max_tokens: string;
  stop: string;
  seed: string;
  suggestions: ISuggestion[];
  /** RAG names (or ids) linked as knowledge. */
  knowledge: string[];
  toolIds: string;
  vision: boolean;
  tags: string;
  hidden: boolean;
}

export const EMPTY_DRAFT: IModelFileDraft = {
  id: '',
  name: '',
  base_model_id: '',
  description: '',
  profile_image_url: '',
  system: '',
  temperature: '',
  top_p: '',
  max_tokens: '',
  stop: '',
  seed: '',
  suggestions: [],
  knowledge: [],
  toolIds: '',
  vision: false,
  tags: '',
  hidden: false
};

/** Tag names of `meta.tags` (`[{name}]` or strings). */
export function tagNames(tags: unknown): string[] {
  if (!Array.isArray(tags)) {
    return [];
  }
  return tags.map(t => (typeof t === 'string' ? t : t && typeof t === 'object' ? String((t as { name?: unknown }).name ?? '') : '')).filter(t => t !== '');
}

/** The prompt suggestions of a record (`[{content, title?}]`; null or strings tolerated). */
export function suggestionsOf(value: unknown): ISuggestion[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value
    .map(s => (typeof s === 'string' ? { content: s } : s && typeof s === 'object' ? (s as ISuggestion) : null))
    .filter((s): s is ISuggestion => !!s && typeof s.content === 'string' && s.content !== '');
}

/** A suggestion's title as text (Open WebUI keeps `[title, subtitle]`). */
export function suggestionTitle(s: ISuggestion): string {
  return Array.isArray(s.title) ? s.title.filter(Boolean).join(' — ') : s.title ?? '';
}

/** The RAG names a record's knowledge links to. */
export function knowledgeNames(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [];
  }
  return value.map(k => (k && typeof k === 'object' ? String((k as IKnowledge).name ?? (k as IKnowledge).id ?? '') : String(k ?? ''))).filter(Boolean);
}

function text(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

export function draftOf(m: IModelFile): IModelFileDraft {
  const p = m.params ?? {};
  const meta = m.meta ?? {};
  const stop = Array.isArray(p.stop) ? p.stop.join('\n') : text(p.stop);
  return {
    id: m.id,
    name: m.name,
    base_model_id: m.base_model_id ?? '',
    description: text(meta.description),
    profile_image_url: text(meta.profile_image_url),
    system: text(p.system),
    temperature: text(p.temperature),
    top_p: text(p.top_p),
    max_tokens: text(p.max_tokens),
    stop,
    seed: text(p.seed),
    suggestions: suggestionsOf(meta.suggestion_prompts),
    knowledge: knowledgeNames(meta.knowledge),
    toolIds: (Array.isArray(meta.toolIds) ? meta.toolIds : []).join(', '),
    vision: !!meta.capabilities?.vision,
    tags: tagNames(meta.tags).join(', '),
    hidden: !!meta.hidden
  };
}

function numberOrNull(v: string): number | null {
  if (v.trim() === '') {
    return null;
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function list(v: string): string[] {
  return v
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
}

/**
 * The ModelForm of a draft. `original` (the record being edited) keeps what
 * the editor does not show: unknown params and meta keys, other capabilities,
 * knowledge entries' own fields.
 */
export function formOf(d: IModelFileDraft, original?: IModelFile | null): IModelFileForm {
  const op = { ...(original?.params ?? {}) };
  const om = { ...(original?.meta ?? {}) };
  const params: IModelFileForm['params'] = { ...op };
  const setParam = (key: string, value: unknown) => {
    if (value === null || value === '' || (Array.isArray(value) && !value.length)) {
      delete params[key];
    } else {
      params[key] = value;
    }
  };
  setParam('system', d.system);
  setParam('temperature', numberOrNull(d.temperature));
  setParam('top_p', numberOrNull(d.top_p));
  setParam('max_tokens', numberOrNull(d.max_tokens));
  setParam('seed', numberOrNull(d.seed));
  setParam('stop', d.stop.split('\n').filter(s => s !== ''));
  const oldKnowledge = Array.isArray(om.knowledge) ? om.knowledge : [];
  const knowledge = d.knowledge.map(name => oldKnowledge.find(k => k && (k.name === name || k.id === name)) ?? { id: name, name, type: 'rag' });
  const meta: IModelFileForm['meta'] = {
    ...om,
    profile_image_url: d.profile_image_url || null,
    description: d.description || null,
    capabilities: { ...(om.capabilities ?? {}), vision: d.vision },
    suggestion_prompts: d.suggestions.filter(s => s.content.trim()).length ? d.suggestions.filter(s => s.content.trim()) : null,
    knowledge,
    toolIds: list(d.toolIds),
    tags: list(d.tags).map(name => ({ name })),
    hidden: d.hidden
  };
  if (!knowledge.length) {
    delete meta.knowledge;
  }
  return { id: d.id.trim(), name: d.name.trim(), base_model_id: d.base_model_id || null, params, meta };
}

/** Problems the editor shows before sending (the server checks again). */
export function draftProblems(d: IModelFileDraft): { [field: string]: string } {
  const out: { [field: string]: string } = {};
  if (!d.id.trim()) {
    out.id = 'required';
  } else if (/\s/.test(d.id)) {
    out.id = 'no whitespace';
  } else if (d.id.length > 256) {
    out.id = 'at most 256 characters';
  }
  if (!d.name.trim()) {
    out.name = 'required';
  }
  for (const key of ['temperature', 'top_p', 'max_tokens', 'seed'] as const) {
    if (d[key].trim() !== '' && !Number.isFinite(Number(d[key]))) {
      out[key] = 'a number';
    }
  }
  return out;
}

/** An id from a name: lowercase, dashes for spaces (Open WebUI's default). */
export function idFromName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '-')
    .replace(/[^a-z0-9._:/-]/g, '')
    .slice(0, 256);
}

/** An import file as Open WebUI's importer reads it: a JSON array (or `{models: [...]}`); else an error. */
export function parseImportFile(textContent: string): { body: unknown } | { error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(textContent);
  } catch (e) {
    return { error: `Invalid JSON file: ${(e as Error).message}` };
  }
  if (Array.isArray(parsed)) {
    return { body: parsed };
  }
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { models?: unknown }).models)) {
    return { body: parsed };
  }
  return { error: 'Invalid JSON file: an export is a JSON array of models' };
}

/** One line per bad entry: `#2 (my-id) meta.tags: must be a list`. */
export function importErrorLines(errors: readonly IImportError[]): string[] {
  return errors.map(e => `#${e.index + 1}${e.id ? ` (${e.id})` : ''} ${e.field}: ${e.reason}`);
}

/** The import's counts as one line. */
export function importSummary(r: IImportResult): { imported: number; updated: number; failed: number } {
  return { imported: r.imported ?? 0, updated: r.updated ?? 0, failed: (r.errors ?? []).length };
}

export function isImage(url: string): boolean {
  return /^data:image\//.test(url) || /^https?:\/\//.test(url) || url.startsWith('/');
}

/** The picker: what can answer first, then model files whose base is not loaded (disabled). */
export function chatChoices(models: readonly IChatModelInfo[], files: readonly IModelFile[]): IChatModelChoice[] {
  const byId = new Map(files.map(f => [f.id, f]));
  const listed = new Set(models.map(m => m.id));
  const ready = models.filter(m => m.loaded !== false);
  const notReady = models.filter(m => m.loaded === false);
  const label = (m: IChatModelInfo) => {
    const f = byId.get(m.id);
    return f ? `${f.name} (${f.id})` : String(m.name ?? m.id);
  };
  return [
    ...ready.map(m => ({ id: m.id, label: label(m) })),
    ...notReady.map(m => ({ id: m.id, label: `${label(m)} — ${byId.get(m.id)?.unavailable_reason ?? 'base model not loaded'}`, disabled: true })),
    ...files
      .filter(f => !listed.has(f.id) && !f.meta?.hidden)
      .map(f => ({ id: f.id, label: `${f.name} (${f.id}) — ${f.unavailable_reason ?? 'base model not loaded'}`, disabled: true }))
  ];
}


/**
 * The edit body of a form: the server merges `params` and `meta` one level
 * deep into the stored ones, so a key the form removed is sent as null.
 */
export function patchOf(form: IModelFileForm, original: IModelFile): Partial<IModelFileForm> {
  const removed = (next: Record<string, unknown>, old: Record<string, unknown> | null | undefined) => {
    const out: Record<string, unknown> = { ...next };
    for (const key of Object.keys(old ?? {})) {
      if (!(key in next)) {
        out[key] = null;
      }
    }
    return out;
  };
  return {
    name: form.name,
    base_model_id: form.base_model_id,
    params: removed(form.params, original.params) as IModelFileForm['params'],
    meta: removed(form.meta, original.meta) as IModelFileForm['meta']
  };
}
