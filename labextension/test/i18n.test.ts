/**
 * Every label of the extension has a Korean translation in the catalog of
 * where it is used: an area's own labels in `areas/<family>/catalog.ko.ts`,
 * the rest in `shared/i18n/catalog.ko.ts`; and the wrapper of trans.__ picks
 * the catalog by JupyterLab's language.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import { createTrans, formatMessage, languageOf, mergeCatalogs } from '../src/shared/i18n';
import { KO as SHARED_KO } from '../src/shared/i18n/catalog.ko';

const SRC = path.resolve(__dirname, '../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sources(p) : /\.tsx?$/.test(e.name) && !e.name.startsWith('catalog') ? [p] : [];
  });
}

/** `shared` or the area folder a file belongs to. */
function scopeOf(file: string): string {
  return path.relative(SRC, file).match(/^areas\/([^/]+)\//)?.[1] ?? 'shared';
}

/** Literal msgids of `__('…')` and `N_('…')` calls -> the scopes that use them. */
function msgids(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const re = /(?:__|N_)\(\s*(['"])((?:\\.|(?!\1).)*)\1/gs;
  for (const file of sources(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const id = m[2].replace(/\\(['"\\])/g, '$1');
      if (!out.has(id)) {
        out.set(id, new Set());
      }
      out.get(id)!.add(scopeOf(file));
    }
  }
  return out;
}

const AREAS = fs.readdirSync(path.join(SRC, 'areas'), { withFileTypes: true }).filter(e => e.isDirectory()).map(e => e.name);

async function areaCatalogs(): Promise<{ [area: string]: { [msgid: string]: string } }> {
  const out: { [area: string]: { [msgid: string]: string } } = {};
  for (const area of AREAS) {
    const file = path.join(SRC, 'areas', area, 'catalog.ko.ts');
    out[area] = fs.existsSync(file) ? ((await import(file)) as { KO: { [msgid: string]: string } }).KO : {};
  }
  return out;
}

describe('Korean catalogs', () => {
  const ids = msgids();

  it('finds the labels', () => {
    expect(ids.size).toBeGreaterThan(150);
    expect(ids.has('Create training')).toBe(true);
    expect(ids.has('Hyperparameter tuning')).toBe(true);
  });

  it('translates every label in the shared catalog or the catalog of the area using it', async () => {
    const areas = await areaCatalogs();
    const missing: string[] = [];
    for (const [id, scopes] of ids) {
      for (const scope of scopes) {
        const own = scope === 'shared' ? {} : areas[scope];
        if (!(id in SHARED_KO) && !(id in own)) {
          missing.push(`${id} (${scope})`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('keeps an area label in its area and has no stale entries', async () => {
    const areas = await areaCatalogs();
    const misplaced: string[] = [];
    for (const [area, catalog] of Object.entries(areas)) {
      for (const id of Object.keys(catalog)) {
        if (!ids.get(id)?.has(area)) {
          misplaced.push(`${id} (areas/${area}/catalog.ko.ts: not used in areas/${area}/)`);
        }
        if (id in SHARED_KO) {
          misplaced.push(`${id} (in areas/${area}/catalog.ko.ts and the shared catalog)`);
        }
      }
    }
    for (const id of Object.keys(SHARED_KO)) {
      if (!ids.has(id)) {
        misplaced.push(`${id} (shared catalog: not used)`);
      }
    }
    expect(misplaced).toEqual([]);
  });

  it('keeps the placeholders', async () => {
    const all = mergeCatalogs([{ ko: SHARED_KO }, ...Object.values(await areaCatalogs()).map(ko => ({ ko }))]).ko;
    for (const [id, ko] of Object.entries(all)) {
      const want = (id.match(/%\d/g) ?? []).sort();
      expect((ko.match(/%\d/g) ?? []).sort(), id).toEqual(want);
      expect(ko.trim(), id).not.toBe('');
    }
  });
});

describe('createTrans', () => {
  const fakeTranslator = (languageCode: string) =>
    ({
      languageCode,
      load: () => ({ __: (msg: string) => msg, _n: () => '', _p: () => '', _np: () => '', gettext: () => '', ngettext: () => '', pgettext: () => '', npgettext: () => '', dcnpgettext: () => '' })
    }) as never;
  const catalogs = mergeCatalogs([{ ko: SHARED_KO }, { ko: { 'Create training': '학습 생성' } }]);

  it('uses the Korean catalogs when JupyterLab is in Korean', () => {
    const trans = createTrans(fakeTranslator('ko-KR'), { catalogs });
    expect(trans.language).toBe('ko');
    expect(trans.__('Create training')).toBe('학습 생성');
    expect(trans.__('%1 selected', 3)).toBe('3개 선택됨');
    expect(trans.__('not in the catalog %1', 'x')).toBe('not in the catalog x');
  });

  it('uses trans.__ otherwise', () => {
    const trans = createTrans(fakeTranslator('en'), { catalogs });
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
