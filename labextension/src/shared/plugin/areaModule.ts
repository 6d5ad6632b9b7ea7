/**
 * An area of the extension and what it gets to wire itself in. Each area
 * folder (`areas/<family>/`) exports one `IArea` from its `area.ts`; the one
 * list of areas (`areas/index.ts`) is what the plugin iterates: each area
 * registers its panel, its commands (open the list, open a detail tab,
 * create) and its create forms from `register(deps)`, so adding an area
 * touches no other area's code.
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { ILauncher } from '@jupyterlab/launcher';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../context';
import type { ICreateFormOptions } from '../forms/createForm';
import type { ICatalogs } from '../i18n';
import type { IAreaInfo } from '../state/areas';
import type { AreaRegistry } from './areaRegistry';
import { easymakerIcon } from './icon';
import type { Openers } from './openers';

export interface IAreaDeps {
  app: JupyterFrontEnd;
  ctx: EasyMakerContext;
  areas: AreaRegistry;
  openers: Openers;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  browser: IDefaultFileBrowser | null;
}

/** One area: its sidebar entry (when it has a label), its translations and its wiring. */
export interface IArea extends IAreaInfo {
  /** The area's own labels in other languages: language -> msgid -> text. */
  catalogs?: ICatalogs;
  /** Register the area's panel, commands and create forms. */
  register(deps: IAreaDeps): void;
}

/** A non-empty string argument of a command, or undefined. */
export function strArg(args: ReadonlyPartialJSONObject, key: string): string | undefined {
  return typeof args[key] === 'string' && args[key] ? (args[key] as string) : undefined;
}

/** A detail tab that can switch to a named tab (every ResourceDetailPanel). */
export interface ITabbedPanel extends Widget {
  readonly tab: string;
  setTab(tab: string): void;
}

/** The commands of a resource family's area. */
export interface IResourceCommands {
  /** Area id (`models`). */
  area: string;
  /** Open the area's list. */
  list: { id: string; label: string; caption?: string };
  /** Open a create form with the options the command's arguments give, or run `execute` instead. */
  create?: {
    id: string;
    label: string;
    caption?: string;
    form?(args: ReadonlyPartialJSONObject): ICreateFormOptions;
    execute?(args: ReadonlyPartialJSONObject): unknown;
  };
  /** Open a detail tab (args `id`, `tab`); a tab already open for the id is revealed instead. */
  detail?: { id: string; label: string; panel(id: string, tab: string | undefined): ITabbedPanel };
}

/** Register the open-list, create and open-detail commands, and the palette entries of the first two. */
export function registerResourceCommands(deps: IAreaDeps, spec: IResourceCommands): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { list, create, detail } = spec;
  app.commands.addCommand(list.id, {
    label: list.label,
    caption: list.caption,
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || (areas.has(spec.area) && areas.offered(spec.area, ctx.capabilities.areas)),
    execute: () => areas.open(spec.area)
  });
  palette?.addItem({ command: list.id, category: trans.__('EasyMaker') });
  if (create) {
    app.commands.addCommand(create.id, {
      label: create.label,
      caption: create.caption,
      icon: easymakerIcon,
      execute: args => (create.execute ? create.execute(args) : void openers.createForm(create.form!(args)))
    });
    palette?.addItem({ command: create.id, category: trans.__('EasyMaker') });
  }
  if (detail) {
    app.commands.addCommand(detail.id, {
      label: detail.label,
      execute: args => {
        const id = String(args.id);
        const tab = strArg(args, 'tab');
        const panel = openers.reuse(`${spec.area}:${id}`, () => detail.panel(id, tab));
        if (tab && panel.tab !== tab) {
          panel.setTab(tab);
        }
      }
    });
  }
}
