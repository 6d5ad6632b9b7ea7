/**
 * Plugin ids and the token other plugins use to add their area panel.
 * No imports from panels or the plugin wiring (no import cycles).
 */
import { Token } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

/** The main plugin; also the id of the settings (labextension/schema/plugin.json). */
export const PLUGIN_ID = 'jupyter-easymaker:plugin';

/** Translation domain of the extension's own strings. */
export const TRANSLATION_DOMAIN = 'jupyter_easymaker';

/** Id of the left sidebar panel. */
export const SIDEBAR_ID = 'jupyter-easymaker-sidebar';

/** What registers an area's panel, so that the sidebar can open it. */
export interface IAreaPanelFactory {
  /** The area id, equal to the server's capability string (e.g. `models`). */
  area: string;
  /**
   * Sidebar label of an area the extension does not know (an English
   * label); the extension's own areas have theirs.
   */
  label?: string;
  /** Create the main-area widget of the area (called once; the tab is reused). */
  create(): Widget;
}

/** The area registry: each area's panel plugs in here. */
export interface IEasyMakerAreas {
  /** Register the panel of an area; the sidebar shows it when the server offers the area. */
  register(factory: IAreaPanelFactory): void;
  /** Open (or reveal) an area's tab. */
  open(area: string): Promise<void>;
}

export const IEasyMakerAreas = new Token<IEasyMakerAreas>(
  'jupyter-easymaker:areas',
  'Registers and opens the main-area panels of the EasyMaker areas.'
);
