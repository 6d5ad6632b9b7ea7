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
import type { Widget } from '@lumino/widgets';

import type { EasyMakerContext } from '../context';
import type { ICreateFormOptions } from '../panels/createForm';
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
}

export type AreaModule = (deps: IAreaDeps) => void;

/** A non-empty string argument of a command, or undefined. */
export function strArg(args: ReadonlyPartialJSONObject, key: string): string | undefined {
  return typeof args[key] === 'string' && args[key] ? (args[key] as string) : undefined;
}

/** A detail tab that can switch to a named tab (every ResourceDetailPanel). */
export interface ITabbedPanel extends Widget {
  readonly tab: string;
  setTab(tab: string): void;
}

/** The three commands of a resource family's area. */
export interface IResourceCommands {
  /** Area id (`models`). */
  area: string;
  /** Open the area's list: command id and label. */
  list: [id: string, label: string];
  /** Open a create form: command id, label, and the form options from the command's arguments. */
  create: [id: string, label: string, (args: ReadonlyPartialJSONObject) => ICreateFormOptions];
  /**
   * Open a detail tab (args `id`, `tab`): command id, label, and the panel
   * for an id; a tab already open for the id is revealed instead.
   */
  detail: [id: string, label: string, (id: string, tab: string | undefined) => ITabbedPanel];
}

/** Register the open-list, create and open-detail commands, and the palette entries of the first two. */
export function registerResourceCommands(deps: IAreaDeps, spec: IResourceCommands): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const [listId, listLabel] = spec.list;
  const [createId, createLabel, createOptions] = spec.create;
  const [detailId, detailLabel, detailPanel] = spec.detail;
  app.commands.addCommand(listId, {
    label: listLabel,
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has(spec.area),
    execute: () => areas.open(spec.area)
  });
  app.commands.addCommand(createId, {
    label: createLabel,
    icon: easymakerIcon,
    execute: args => void openers.createForm(createOptions(args))
  });
  app.commands.addCommand(detailId, {
    label: detailLabel,
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`${spec.area}:${id}`, () => detailPanel(id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  for (const command of [listId, createId]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
