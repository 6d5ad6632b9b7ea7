/**
 * Translations of the extension's own labels.
 *
 * JupyterLab translates through language packs (separate pip packages such
 * as `jupyterlab-language-pack-ko-KR`) that know nothing about this
 * extension. So the Korean strings ship inside the extension: the shared
 * labels in `catalog.ko.ts` here, each area's own in
 * `areas/<family>/catalog.ko.ts` (handed over with the area). When
 * JupyterLab's language (`ITranslator.languageCode`, set in Settings >
 * Language or the `@jupyterlab/translation-extension:plugin` `locale`
 * setting) is Korean, labels come from those catalogs; otherwise they go
 * through `trans.__` of the `jupyter_easymaker` domain, so a language pack
 * that one day carries this domain still wins.
 */
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';

import { TRANSLATION_DOMAIN } from '../../tokens';
import { KO } from './catalog.ko';

export interface ITrans {
  /** Translate a label; `%1`, `%2` ... are replaced by the arguments. */
  __(msg: string, ...args: unknown[]): string;
  /** `ko`, `en`, ...: the language labels are shown in. */
  readonly language: string;
}

/** msgid -> translated text. */
export type ICatalog = { readonly [msgid: string]: string };

/** Catalogs by language (`ko`). */
export type ICatalogs = { readonly [language: string]: ICatalog };

/** The shared labels' catalogs. */
export const SHARED_CATALOGS: ICatalogs = { ko: KO };

/** One catalog per language from several (the shared one and the areas'). */
export function mergeCatalogs(all: readonly (ICatalogs | undefined)[]): ICatalogs {
  const out: { [language: string]: { [msgid: string]: string } } = {};
  for (const catalogs of all) {
    for (const [language, catalog] of Object.entries(catalogs ?? {})) {
      Object.assign((out[language] ??= {}), catalog);
    }
  }
  return out;
}

/**
 * Marks an English label as a msgid without translating it (labels kept in
 * tables, translated where they are shown); the catalog test collects them.
 */
export function N_(msg: string): string {
  return msg;
}

export function formatMessage(msg: string, args: unknown[]): string {
  return msg.replace(/%(\d+)/g, (match, n) => {
    const value = args[Number(n) - 1];
    return value === undefined ? match : String(value);
  });
}

/** `ko-KR`, `ko_KR`, `ko` -> `ko`. */
export function languageOf(code: string | undefined | null): string {
  return (code || 'en').toLowerCase().split(/[-_]/)[0];
}

export function createTrans(
  translator?: ITranslator | null,
  options: { language?: string; catalogs?: ICatalogs } = {}
): ITrans {
  const language = languageOf(options.language ?? translator?.languageCode);
  const catalog = (options.catalogs ?? SHARED_CATALOGS)[language];
  let bundle: TranslationBundle | null = null;
  try {
    bundle = translator ? translator.load(TRANSLATION_DOMAIN) : null;
  } catch {
    bundle = null;
  }
  return {
    language: catalog ? language : 'en',
    __(msg: string, ...args: unknown[]): string {
      const own = catalog?.[msg];
      if (own !== undefined) {
        return formatMessage(own, args);
      }
      if (bundle) {
        const out = bundle.__(msg, ...(args as string[]));
        return formatMessage(out, args);
      }
      return formatMessage(msg, args);
    }
  };
}

/** English, without a translator (tests, fallbacks). */
export const ENGLISH: ITrans = createTrans(null, { language: 'en' });
