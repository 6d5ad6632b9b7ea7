/** The extension's commands, palette entries, launcher tiles and context menu. */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { ILauncher } from '@jupyterlab/launcher';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { CommandIDs } from '../commands';
import type { EasyMakerContext } from '../context';
import { askName } from '../components/dialogs';
import { N_ } from '../i18n';
import { notifyError } from '../panels/base';
import { submitFileAsTraining } from '../panels/submitFile';
import { SIDEBAR_ID } from '../tokens';
import type { AreaRegistry } from './areaRegistry';
import { easymakerIcon } from './icon';
import type { Openers } from './openers';

export interface ICommandDeps {
  app: JupyterFrontEnd;
  ctx: EasyMakerContext;
  areas: AreaRegistry;
  openers: Openers;
  palette: ICommandPalette | null;
  launcher: ILauncher | null;
  browser: IDefaultFileBrowser | null;
}

const str = (args: ReadonlyPartialJSONObject, key: string): string | undefined =>
  typeof args[key] === 'string' && args[key] ? (args[key] as string) : undefined;

export function registerCommands(deps: ICommandDeps): void {
  const { app, ctx, areas, openers, palette, launcher, browser } = deps;
  const { commands } = app;
  const { trans } = ctx;
  const category = trans.__('EasyMaker');
  const offered = (area: string) => (ctx.capabilities.areas ?? []).includes(area);

  commands.addCommand(CommandIDs.openArea, {
    label: args => trans.__('Open %1', String(args.area ?? '')),
    execute: args => areas.open(String(args.area))
  });
  const openers_: [string, string, string][] = [
    [CommandIDs.openDashboard, 'dashboard', N_('Open EasyMaker Dashboard')],
    [CommandIDs.openExperiments, 'experiments', N_('Open Experiments')],
    [CommandIDs.openTrainings, 'trainings', N_('Open Trainings')],
    [CommandIDs.openTemplates, 'training-templates', N_('Open Training Templates')]
  ];
  for (const [id, area, label] of openers_) {
    commands.addCommand(id, {
      label: trans.__(label),
      caption: trans.__(label),
      icon: easymakerIcon,
      isEnabled: () => ctx.handshake.kind === 'pending' || offered(area),
      execute: () => areas.open(area)
    });
  }
  commands.addCommand(CommandIDs.showSidebar, {
    label: trans.__('Show EasyMaker Sidebar'),
    execute: () => app.shell.activateById(SIDEBAR_ID)
  });
  commands.addCommand(CommandIDs.createExperiment, {
    label: trans.__('Create Experiment'),
    icon: easymakerIcon,
    execute: args => void openers.createForm({ kind: 'experiment', copyFrom: str(args, 'copyFrom') })
  });
  commands.addCommand(CommandIDs.createTraining, {
    label: trans.__('Create Training'),
    caption: trans.__('Create a training with the EasyMaker form'),
    icon: easymakerIcon,
    execute: args =>
      void openers.createForm({
        kind: 'training',
        copyFrom: str(args, 'copyFrom'),
        templateId: str(args, 'templateId'),
        experimentId: str(args, 'experimentId')
      })
  });
  commands.addCommand(CommandIDs.createTemplate, {
    label: trans.__('Create Training Template'),
    icon: easymakerIcon,
    execute: async args => {
      const fromTraining = str(args, 'fromTraining');
      if (!fromTraining) {
        openers.createForm({ kind: 'template', copyFrom: str(args, 'copyFrom') });
        return;
      }
      // the guide: save a training's fields as a template
      try {
        const training = await ctx.api.trainings.get(fromTraining);
        const name = await askName(trans.__('Save as template'), trans.__('Template name'), `${training.name}-template`.slice(0, 50), trans);
        if (!name) {
          return;
        }
        const template = await ctx.api.trainings.saveAsTemplate(fromTraining, { name, description: training.description });
        Notification.success(trans.__('%1 created', template.name), { autoClose: 3000 });
        openers.template(template.id);
      } catch (error) {
        notifyError(trans, trans.__('Save as template failed'), error);
      }
    }
  });
  commands.addCommand(CommandIDs.openTraining, {
    label: trans.__('Open Training'),
    execute: args => void openers.training(String(args.id), str(args, 'tab'))
  });
  commands.addCommand(CommandIDs.openExperiment, {
    label: trans.__('Open Experiment'),
    execute: args => void openers.experiment(String(args.id))
  });
  commands.addCommand(CommandIDs.openTemplate, {
    label: trans.__('Open Training Template'),
    execute: args => void openers.template(String(args.id))
  });
  commands.addCommand(CommandIDs.openTensorBoard, {
    label: trans.__('Open TensorBoard'),
    execute: async args => {
      const trainingId = str(args, 'trainingId');
      const experimentId = str(args, 'experimentId');
      const tuningId = str(args, 'tuningId');
      try {
        if (trainingId) {
          const t = await ctx.api.trainings.get(trainingId);
          openers.tensorBoard({ training_id: t.id }, t.name);
        } else if (experimentId) {
          const e = await ctx.api.experiments.get(experimentId);
          openers.tensorBoard({ experiment_id: e.id }, e.name);
        } else if (tuningId) {
          const h = await ctx.api.tunings.get(tuningId);
          openers.tensorBoard({ hyperparameter_tuning_id: h.id }, h.name);
        }
      } catch (error) {
        notifyError(trans, trans.__('TensorBoard could not be opened'), error);
      }
    }
  });
  commands.addCommand(CommandIDs.submitFile, {
    label: trans.__('Submit as Training'),
    caption: trans.__('Run this notebook or script as an EasyMaker training'),
    icon: easymakerIcon,
    isVisible: () => {
      const path = selectedPath(browser);
      return !!path && /\.(ipynb|py)$/i.test(path);
    },
    execute: async args => {
      const path = str(args, 'path') ?? selectedPath(browser);
      if (!path) {
        return;
      }
      try {
        const id = await submitFileAsTraining(ctx, path);
        if (id) {
          openers.training(id, 'logs');
        }
      } catch (error) {
        notifyError(trans, trans.__('Submit as training failed'), error);
      }
    }
  });
  commands.addCommand(CommandIDs.refresh, {
    label: trans.__('Refresh EasyMaker Panels'),
    execute: () => ctx.feed.poke()
  });

  if (palette) {
    for (const command of [
      CommandIDs.showSidebar,
      CommandIDs.openDashboard,
      CommandIDs.openExperiments,
      CommandIDs.openTrainings,
      CommandIDs.openTemplates,
      CommandIDs.createExperiment,
      CommandIDs.createTraining,
      CommandIDs.createTemplate
    ]) {
      palette.addItem({ command, category });
    }
  }
  if (launcher) {
    launcher.add({ command: CommandIDs.openDashboard, category, rank: 1 });
    launcher.add({ command: CommandIDs.createTraining, category, rank: 2 });
  }
  for (const type of ['notebook', 'python']) {
    app.contextMenu.addItem({
      command: CommandIDs.submitFile,
      selector: `.jp-DirListing-item[data-file-type="${type}"]`,
      rank: 20
    });
  }
}

function selectedPath(browser: IDefaultFileBrowser | null): string | undefined {
  if (!browser) {
    return undefined;
  }
  const first = browser.selectedItems().next();
  return first && !first.done ? first.value.path : undefined;
}
