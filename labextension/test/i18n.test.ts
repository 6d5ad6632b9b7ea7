/**
 * Every label of the extension has a Korean translation, and the wrapper
 * of trans.__ picks the catalog by JupyterLab's language.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import { createTrans, formatMessage, languageOf } from '../src/i18n';
import { KO } from '../src/i18n/catalog.ko';

const SRC = path.resolve(__dirname, '../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.tsx?$/.test(e.name) && !e.name.startsWith('catalog') ? [p] : [];
  });
}

/** Literal msgids of `__('…')` and `N_('…')` calls. */
function msgids(): Map<string, string> {
  const out = new Map<string, string>();
  const re = /(?:__|N_)\(\s*(['"])((?:\\.|(?!\1).)*)\1/gs;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      out.set(m[2].replace(/\\(['"\\])/g, '$1'), path.relative(SRC, file));
    }
  }
  return out;
}

describe('Korean catalog', () => {
  const ids = msgids();

  it('finds the labels', () => {
    expect(ids.size).toBeGreaterThan(150);
    expect(ids.has('Create training')).toBe(true);
    expect(ids.has('Hyperparameter tuning')).toBe(true);
  });

  it('translates every label', () => {
    const missing = [...ids.keys()].filter(id => !(id in KO)).map(id => `${id} (${ids.get(id)})`);
    expect(missing).toEqual([]);
  });

  it('has no stale entries', () => {
    expect(Object.keys(KO).filter(id => !ids.has(id))).toEqual([]);
  });

  it('keeps the placeholders', () => {
    for (const [id, ko] of Object.entries(KO)) {
      const want = (id.match(/%\d/g) ?? []).sort();
      expect((ko.match(/%\d/g) ?? []).sort(), id).toEqual(want);
    }
  });
});

describe('createTrans', () => {
  const fakeTranslator = (languageCode: string) =>
    ({
      languageCode,
      load: () => ({ __: (msg: string) => msg, _n: () => '', _p: () => '', _np: () => '', gettext: () => '', ngettext: () => '', pgettext: () => '', npgettext: () => '', dcnpgettext: () => '' })
    }) as never;

  it('uses the Korean catalog when JupyterLab is in Korean', () => {
    const trans = createTrans(fakeTranslator('ko-KR'));
    expect(trans.language).toBe('ko');
    expect(trans.__('Create training')).toBe('학습 생성');
    expect(trans.__('%1 selected', 3)).toBe('3개 선택됨');
    expect(trans.__('not in the catalog %1', 'x')).toBe('not in the catalog x');
  });

  it('uses trans.__ otherwise', () => {
    const trans = createTrans(fakeTranslator('en'));
    expect(trans.language).toBe('en');
    expect(trans.__('Create training')).toBe('Create training');
    expect(trans.__('%1 selected', 3)).toBe('3 selected');
  });

  it('normalises language codes', () => {
    expect(languageOf('ko_KR')).toBe('ko');
    expect(languageOf('')).toBe('en');
    expect(formatMessage('%2 and %1', ['a', 'b'])).toBe('b and a');
  });
});
