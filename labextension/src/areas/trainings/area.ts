/**
 * The Trainings area: panel, commands and create form, the "Submit as
 * training" entry of the file browser's context menu and the launcher tile.
 */
import type { IDefaultFileBrowser } from '@jupyterlab/filebrowser';

import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { notifyError } from '../../shared/panels/base';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { easymakerIcon } from '../../shared/plugin/icon';
import { trainingsApi } from './api';
import { KO } from './catalog.ko';
import { TrainingDetailPanel } from './detail';
import { TRAINING_FORM } from './form';
import { TRAINING_FORM_ADDONS } from './formAddons';
import { createTrainingsPanel } from './list';
import { submitFileAsTraining } from './submitFile';

export const trainingsArea: IArea = {
  id: 'trainings',
  label: N_('Trainings'),
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, launcher, browser } = deps;
    const { trans } = ctx;
    areas.register({ area: 'trainings', create: () => createTrainingsPanel(ctx) });
    registerFormKind('training', {
      hints: TRAINING_FORM,
      create: (c, body) => trainingsApi(c).create(body),
      copy: (c, ref) => trainingsApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy training') : t.__('Create training')),
      submitLabel: t => t.__('Create training'),
      ...TRAINING_FORM_ADDONS,
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openTraining, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'trainings',
      list: { id: CommandIDs.openTrainings, label: trans.__('Open Trainings'), caption: trans.__('Open Trainings') },
      create: {
        id: CommandIDs.createTraining,
        label: trans.__('Create Training'),
        caption: trans.__('Create a training with the EasyMaker form'),
        form: args => ({
          kind: 'training',
          copyFrom: strArg(args, 'copyFrom'),
          templateId: strArg(args, 'templateId'),
          experimentId: strArg(args, 'experimentId')
        })
      },
      detail: { id: CommandIDs.openTraining, label: trans.__('Open Training'), panel: (id, tab) => new TrainingDetailPanel(ctx, id, tab) }
    });
    launcher?.add({ command: CommandIDs.createTraining, category: trans.__('EasyMaker'), rank: 2 });

    app.commands.addCommand(CommandIDs.submitFile, {
      label: trans.__('Submit as Training'),
      caption: trans.__('Run this notebook or script as an EasyMaker training'),
      icon: easymakerIcon,
      isVisible: () => {
        const path = selectedPath(browser);
        return !!path && /\.(ipynb|py)$/i.test(path);
      },
      execute: async args => {
        const path = strArg(args, 'path') ?? selectedPath(browser);
        if (!path) {
          return;
        }
        try {
          const id = await submitFileAsTraining(ctx, path);
          if (id) {
            void app.commands.execute(CommandIDs.openTraining, { id, tab: 'logs' });
          }
        } catch (error) {
          notifyError(trans, trans.__('Submit as training failed'), error);
        }
      }
    });
    for (const type of ['notebook', 'python']) {
      app.contextMenu.addItem({
        command: CommandIDs.submitFile,
        selector: `.jp-DirListing-item[data-file-type="${type}"]`,
        rank: 20
      });
    }
  }
};

function selectedPath(browser: IDefaultFileBrowser | null): string | undefined {
  if (!browser) {
    return undefined;
  }
  const first = browser.selectedItems().next();
  return first && !first.done ? first.value.path : undefined;
}
