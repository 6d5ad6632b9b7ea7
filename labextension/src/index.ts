/**
 * jupyter-easymaker's JupyterLab extension: the EasyMaker sidebar and the
 * areas of the one list of areas (`areas/index.ts`), each of which registers
 * its panel, detail and create tabs and commands; the extension-wide
 * commands, the settings and the version handshake.
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

import { AREAS } from './areas';
import { CommandIDs } from './commands';
import { createApi } from './shared/api';
import { ApiError } from './shared/api/client';
import { ChangeFeed } from './shared/api/events';
import { DEFAULT_SETTINGS, EasyMakerContext, IEasyMakerSettings } from './shared/context';
import { createTrans, mergeCatalogs, SHARED_CATALOGS } from './shared/i18n';
import { SidebarPanel } from './shared/panels/sidebar';
import { AreaRegistry } from './shared/plugin/areaRegistry';
import { easymakerIcon } from './shared/plugin/icon';
import { Openers } from './shared/plugin/openers';
import { judgeHandshake, judgeHandshakeError } from './shared/state/handshake';
import { IEasyMakerAreas, PLUGIN_ID, SIDEBAR_ID } from './tokens';
import { LABEXTENSION_VERSION } from './version';

export { IEasyMakerAreas } from './tokens';

async function handshake(ctx: EasyMakerContext): Promise<void> {
  const { trans } = ctx;
  try {
    const info = await ctx.api.meta.handshake();
    const state = judgeHandshake(info, LABEXTENSION_VERSION);
    ctx.setHandshake(state);
    if (state.kind === 'mismatch') {
      Notification.warning(
        trans.__(
          'Version mismatch: the server extension is %1 but this JupyterLab extension is %2. Reinstall jupyter_easymaker and restart JupyterLab.',
          state.server,
          state.client
        ),
        { autoClose: false }
      );
    } else {
      console.log(`jupyter-easymaker ${info.version} ready`);
    }
  } catch (error) {
    const status = error instanceof ApiError ? error.status : null;
    const state = judgeHandshakeError(status, String((error as Error)?.message ?? error));
    ctx.setHandshake(state);
    const message =
      state.kind === 'missing'
        ? trans.__('The jupyter-easymaker server extension is not enabled.') +
          ' ' +
          trans.__('The API answered 404. Install the Python package and enable it, then restart JupyterLab:') +
          ' jupyter server extension enable jupyter_easymaker'
        : trans.__('The jupyter-easymaker server extension did not answer.') + ' ' + String((error as Error)?.message ?? error);
    console.error(message);
    Notification.error(message, { autoClose: false });
  }
}

function readSettings(settings: ISettingRegistry.ISettings): IEasyMakerSettings {
  const get = <T,>(key: keyof IEasyMakerSettings, fallback: T): T => (settings.get(key).composite as T) ?? fallback;
  return {
    refreshInterval: Math.max(1, Number(get('refreshInterval', DEFAULT_SETTINGS.refreshInterval))),
    defaultBackend: String(get('defaultBackend', DEFAULT_SETTINGS.defaultBackend) ?? ''),
    defaultExperiment: String(get('defaultExperiment', DEFAULT_SETTINGS.defaultExperiment) ?? '')
  };
}

const plugin: JupyterFrontEndPlugin<IEasyMakerAreas> = {
  id: PLUGIN_ID,
  description: 'JupyterLab-native ML platform: experiments, trainings, models and endpoints.',
  autoStart: true,
  provides: IEasyMakerAreas,
  optional: [ITranslator, ISettingRegistry, ICommandPalette, ILauncher, IDefaultFileBrowser, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    settingRegistry: ISettingRegistry | null,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    browser: IDefaultFileBrowser | null,
    restorer: ILayoutRestorer | null
  ): IEasyMakerAreas => {
    const trans = createTrans(translator, { catalogs: mergeCatalogs([SHARED_CATALOGS, ...AREAS.map(a => a.catalogs)]) });
    const api = createApi();
    let ctx: EasyMakerContext;
    const feed = new ChangeFeed({
      connect: (onEvent, signal, onOpen) => api.client.stream('events', onEvent, signal, undefined, onOpen),
      interval: () => ctx.settings.refreshInterval * 1000
    });
    ctx = new EasyMakerContext(app, api, feed, trans);

    const areas = new AreaRegistry(app, AREAS);
    const openers = new Openers(app, ctx);
    const sidebar = new SidebarPanel(ctx, {
      areas,
      open: area => void areas.open(area),
      retry: () => void handshake(ctx).then(() => feed.start())
    });
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = easymakerIcon;
    sidebar.title.caption = trans.__('EasyMaker');
    areas.registered.connect(() => sidebar.update());
    app.shell.add(sidebar, 'left', { rank: 450 });
    restorer?.add(sidebar, SIDEBAR_ID);

    registerPluginCommands(app, ctx, areas, palette);
    for (const area of AREAS) {
      area.register({ app, ctx, areas, openers, palette, launcher, browser });
    }

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(settings => {
          ctx.setSettings(readSettings(settings));
          settings.changed.connect(() => ctx.setSettings(readSettings(settings)));
        })
        .catch(reason => console.warn('jupyter-easymaker: settings could not be loaded', reason));
    }

    void app.restored.then(() => handshake(ctx)).then(() => {
      if (ctx.handshake.kind === 'ok' || ctx.handshake.kind === 'mismatch') {
        feed.start();
      }
    });
    // for UI tests and debugging
    (window as unknown as { jupyterEasyMaker?: unknown }).jupyterEasyMaker = { ctx, areas, openers };
    return areas;
  }
};

/** The commands that belong to no area: open any area, show the sidebar, refresh the panels. */
function registerPluginCommands(
  app: JupyterFrontEnd,
  ctx: EasyMakerContext,
  areas: AreaRegistry,
  palette: ICommandPalette | null
): void {
  const { commands } = app;
  const { trans } = ctx;
  commands.addCommand(CommandIDs.openArea, {
    label: args => trans.__('Open %1', String(args.area ?? '')),
    execute: args => areas.open(String(args.area))
  });
  commands.addCommand(CommandIDs.showSidebar, {
    label: trans.__('Show EasyMaker Sidebar'),
    execute: () => app.shell.activateById(SIDEBAR_ID)
  });
  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh EasyMaker Panels'),
    execute: () => ctx.feed.poke()
  });
  palette?.addItem({ command: CommandIDs.showSidebar, category: trans.__('EasyMaker') });
}

export default plugin;
