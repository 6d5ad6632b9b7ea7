/**
 * jupyter-easymaker's JupyterLab extension: the EasyMaker sidebar, the area
 * panels (dashboard, experiments, trainings, templates, and the areas of
 * plugin/areas/: tuning, models, evaluation, endpoints, batch), detail and create
 * tabs, TensorBoard tabs, commands, launcher tiles, the "Submit as
 * training" context menu and the settings.
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

import { createApi } from './api';
import { ApiError } from './api/client';
import { ChangeFeed } from './api/events';
import { DEFAULT_SETTINGS, EasyMakerContext, IEasyMakerSettings } from './context';
import { createTrans } from './i18n';
import { DashboardPanel } from './panels/dashboard';
import { createExperimentsPanel } from './panels/experiments';
import { SidebarPanel } from './panels/sidebar';
import { createTemplatesPanel } from './panels/templates';
import { createTrainingsPanel } from './panels/trainings';
import { AreaModule } from './plugin/areaModule';
import { AreaRegistry } from './plugin/areaRegistry';
import { registerBatchArea } from './plugin/areas/batch';
import { registerEndpointsArea } from './plugin/areas/endpoints';
import { registerEvaluationsArea } from './plugin/areas/evaluations';
import { registerModelsArea } from './plugin/areas/models';
import { registerTuningArea } from './plugin/areas/tuning';
import { easymakerIcon } from './plugin/icon';
import { Openers } from './plugin/openers';
import { registerCommands } from './plugin/registerCommands';
import { judgeHandshake, judgeHandshakeError } from './state/handshake';
import { IEasyMakerAreas, PLUGIN_ID, SIDEBAR_ID } from './tokens';
import { LABEXTENSION_VERSION } from './version';

export { IEasyMakerAreas } from './tokens';

/** The later areas, each wired in by its own module (plugin/areas/). */
const AREA_MODULES: AreaModule[] = [
  registerTuningArea,
  registerModelsArea,
  registerEvaluationsArea,
  registerEndpointsArea,
  registerBatchArea
];

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
    const trans = createTrans(translator);
    const api = createApi();
    let ctx: EasyMakerContext;
    const feed = new ChangeFeed({
      connect: (onEvent, signal, onOpen) => api.client.stream('events', onEvent, signal, undefined, onOpen),
      interval: () => ctx.settings.refreshInterval * 1000
    });
    ctx = new EasyMakerContext(app, api, feed, trans);

    const areas = new AreaRegistry(app);
    areas.register({ area: 'dashboard', create: () => new DashboardPanel(ctx) });
    areas.register({ area: 'experiments', create: () => createExperimentsPanel(ctx) });
    areas.register({ area: 'trainings', create: () => createTrainingsPanel(ctx) });
    areas.register({ area: 'training-templates', create: () => createTemplatesPanel(ctx) });
    const openers = new Openers(app, ctx);

    const sidebar = new SidebarPanel(ctx, {
      hasPanel: area => areas.has(area),
      open: area => void areas.open(area),
      retry: () => void handshake(ctx).then(() => feed.start())
    });
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = easymakerIcon;
    sidebar.title.caption = trans.__('EasyMaker');
    areas.registered.connect(() => sidebar.update());
    app.shell.add(sidebar, 'left', { rank: 450 });
    restorer?.add(sidebar, SIDEBAR_ID);

    registerCommands({ app, ctx, areas, openers, palette, launcher, browser });
    for (const register of AREA_MODULES) {
      register({ app, ctx, areas, openers, palette, launcher });
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

export default plugin;
