/**
 * Model files' pure parts: an import file read as Open WebUI's importer
 * reads it, the import's per-entry errors shown, the editor's draft from a
 * record (the real Open WebUI export in tests/ui/fixtures) and back with
 * nothing it does not show lost, the export's file name from the server's
 * header, and the chat's model picker.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { IModelFile, dispositionFilename } from '../src/areas/modelfiles/api';
import { ImportResultView } from '../src/areas/modelfiles/importResult';
import {
  EMPTY_DRAFT,
  chatChoices,
  draftOf,
  draftProblems,
  formOf,
  idFromName,
  importErrorLines,
  importSummary,
  parseImportFile,
  patchOf,
  suggestionTitle,
  suggestionsOf,
  tagNames
} from '../src/areas/modelfiles/shaping';

const REAL = path.resolve(__dirname, '../../tests/ui/fixtures/openwebui-models/rosehill-acronym-to-organisation-1737821822373.json');

function record(patch: Partial<IModelFile> = {}): IModelFile {
  return {
    id: 'terse',
    user_id: 'u',
    base_model_id: 'smol',
    name: 'Terse',
    params: { system: 'Be terse.', temperature: 0.3, stop: ['###'], function_calling: 'native' },
    meta: {
      profile_image_url: 'data:image/png;base64,AAAA',
      description: 'short answers',
      capabilities: { vision: true, citations: true },
      suggestion_prompts: [{ content: 'Explain LoRA', title: ['LoRA', 'in one line'] }],
      knowledge: [{ id: 'docs', name: 'docs', type: 'rag', extra: 1 }],
      toolIds: ['calc'],
      tags: [{ name: 'short' }, 'demo' as unknown as { name: string }],
      hidden: false,
      custom_key: { kept: true }
    },
    is_active: true,
    created_at: 1,
    updated_at: 2,
    available: true,
    unavailable_reason: null,
    loaded: false,
    ...patch
  };
}

describe('import', () => {
  it('reads the real Open WebUI export as an array and refuses what Open WebUI refuses', () => {
    const parsed = parseImportFile(fs.readFileSync(REAL, 'utf8'));
    expect('body' in parsed).toBe(true);
    const body = (parsed as { body: any[] }).body;
    expect(body).toHaveLength(1);
    expect(body[0]).toMatchObject({ id: 'acronym-to-organisation', name: 'Acronym To Organisation', base_model_id: 'deepseek.deepseek-chat' });
    expect(parseImportFile('{"models": []}')).toEqual({ body: { models: [] } });
    expect((parseImportFile('{"id": "x"}') as { error: string }).error).toMatch(/^Invalid JSON file/);
    expect((parseImportFile('not json') as { error: string }).error).toMatch(/^Invalid JSON file/);
  });

  it('shows each bad entry with its position, id, field and reason', () => {
    const result = {
      imported: 2,
      updated: 1,
      errors: [
        { index: 1, id: 'has space', field: 'id', reason: 'must not contain whitespace' },
        { index: 3, id: null, field: 'meta.knowledge[0]', reason: "no RAG named 'gone'" }
      ],
      models: [{ index: 0, id: 'a', action: 'created', available: false, unavailable_reason: 'base model x is not an LLM studio model' }]
    };
    expect(importErrorLines(result.errors)).toEqual(['#2 (has space) id: must not contain whitespace', "#4 meta.knowledge[0]: no RAG named 'gone'"]);
    expect(importSummary(result)).toEqual({ imported: 2, updated: 1, failed: 2 });
    const html = renderToStaticMarkup(<ImportResultView result={result} error={null} onClose={() => undefined} />);
    expect(html).toContain('Imported: 2 new, 1 updated, 2 with errors');
    expect(html.match(/data-role="import-error"/g)).toHaveLength(2);
    expect(html).toContain('#2 (has space) id: must not contain whitespace');
    expect(html).toContain('cannot chat until their base model exists here');
    const failed = renderToStaticMarkup(<ImportResultView result={null} error="x.json: Invalid JSON file" onClose={() => undefined} />);
    expect(failed).toContain('data-role="import-failed"');
    expect(renderToStaticMarkup(<ImportResultView result={null} error={null} onClose={() => undefined} />)).toBe('');
  });
});

describe('the editor', () => {
  it('edits the real export and keeps what it does not show', () => {
    const real = JSON.parse(fs.readFileSync(REAL, 'utf8'))[0];
    const m = { ...real, available: false, unavailable_reason: 'x', loaded: false } as IModelFile;
    const d = draftOf(m);
    expect(d).toMatchObject({ id: 'acronym-to-organisation', base_model_id: 'deepseek.deepseek-chat', vision: true, tags: '', suggestions: [] });
    expect(d.system.startsWith('Your purpose is to act as a friendly assistant')).toBe(true);
    const form = formOf({ ...d, temperature: '0.2' }, m);
    expect(form.params).toEqual({ system: real.params.system, temperature: 0.2 });
    expect(form.meta.capabilities).toEqual({ vision: true, usage: false, citations: true });
    expect(form.meta.profile_image_url).toBe('/static/favicon.png');
  });

  it('round-trips a full record: unknown keys, knowledge entries, tags, suggestions', () => {
    const m = record();
    const d = draftOf(m);
    expect(d.tags).toBe('short, demo');
    expect(d.knowledge).toEqual(['docs']);
    expect(d.stop).toBe('###');
    const form = formOf(d, m);
    expect(form.params).toEqual(m.params);
    expect(form.meta.custom_key).toEqual({ kept: true });
    expect(form.meta.knowledge).toEqual([{ id: 'docs', name: 'docs', type: 'rag', extra: 1 }]);
    expect(form.meta.tags).toEqual([{ name: 'short' }, { name: 'demo' }]);
    expect(form.meta.suggestion_prompts).toEqual(m.meta.suggestion_prompts);
    expect(form.meta.toolIds).toEqual(['calc']);
    const changed = formOf({ ...d, knowledge: ['docs', 'faq'], temperature: '', stop: '', hidden: true }, m);
    expect(changed.meta.knowledge).toEqual([{ id: 'docs', name: 'docs', type: 'rag', extra: 1 }, { id: 'faq', name: 'faq', type: 'rag' }]);
    expect(changed.params.temperature).toBeUndefined();
    expect(changed.params.stop).toBeUndefined();
    expect(changed.meta.hidden).toBe(true);
    // an edit sends what the form removed as null (the server merges params and meta)
    const patch = patchOf(changed, m);
    expect(patch.params).toMatchObject({ system: 'Be terse.', temperature: null, stop: null, function_calling: 'native' });
    expect(patch.meta).toMatchObject({ custom_key: { kept: true }, hidden: true });
  });

  it('checks the id and numbers, and makes an id from a name', () => {
    expect(draftProblems({ ...EMPTY_DRAFT, id: 'has space', name: 'x', temperature: 'warm' })).toEqual({ id: 'no whitespace', temperature: 'a number' });
    expect(draftProblems({ ...EMPTY_DRAFT })).toEqual({ id: 'required', name: 'required' });
    expect(idFromName('  My Cool Model! ')).toBe('my-cool-model');
  });

  it('reads tags and suggestions in their shapes', () => {
    expect(tagNames([{ name: 'a' }, 'b', null, { x: 1 }])).toEqual(['a', 'b']);
    expect(tagNames(null)).toEqual([]);
    expect(suggestionsOf(null)).toEqual([]);
    expect(suggestionsOf(['hi', { content: '' }, { content: 'ok', title: 't' }])).toEqual([{ content: 'hi' }, { content: 'ok', title: 't' }]);
    expect(suggestionTitle({ content: 'c', title: ['A', 'b'] })).toBe('A — b');
  });
});

describe('export and chat', () => {
  it('takes the file name from the server', () => {
    expect(dispositionFilename('attachment; filename="terse-1737821822373.json"', 'x.json')).toBe('terse-1737821822373.json');
    expect(dispositionFilename("attachment; filename*=UTF-8''models-export-1.json", 'x.json')).toBe('models-export-1.json');
    expect(dispositionFilename(null, 'fallback.json')).toBe('fallback.json');
  });

  it('lists what can answer first, then model files that cannot (disabled)', () => {
    const files = [record({ id: 'terse', name: 'Terse' }), record({ id: 'remote', name: 'Remote', available: false, unavailable_reason: 'base model deepseek is not an LLM studio model' }), record({ id: 'secret', meta: { hidden: true } })];
    const choices = chatChoices(
      [
        { id: 'smol', loaded: true },
        { id: 'terse', loaded: true },
        { id: 'remote', loaded: false }
      ],
      files
    );
    expect(choices).toEqual([
      { id: 'smol', label: 'smol' },
      { id: 'terse', label: 'Terse (terse)' },
      { id: 'remote', label: 'Remote (remote) — base model deepseek is not an LLM studio model', disabled: true }
    ]);
  });
});
