/**
 * What an area module gets to wire itself in: it registers its panel with
 * the sidebar, its commands (open the list, open a detail tab, create) and
 * its create forms, all from one `register(deps)` function, so adding an
 * area touches no other area's code.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { ILauncher } from '@jupyterlab/launcher';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import type { EasyMakerContext } from '../context';
import type { AreaRegistry } from './areaRegistry';
import type { Openers } from './openers';

export interface IAreaDeps {
  app: JupyterFrontEnd;
  ctx: EasyMakerContext;
  areas: AreaRegistry;
  openers: Openers;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
}

export type AreaModule = (deps: IAreaDeps) => void;

/** A non-empty string argument of a command, or undefined. */
export function strArg(args: ReadonlyPartialJSONObject, key: string): string | undefined {
  return typeof args[key] === 'string' && args[key] ? (args[key] as string) : undefined;
}
