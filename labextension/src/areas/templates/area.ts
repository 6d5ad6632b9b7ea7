/** The Training templates area: panel, commands (a template from a training too) and create form. */
import { Notification } from '@jupyterlab/apputils';

import { CommandIDs } from '../../commands';
import { askName } from '../../shared/components/dialogs';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { notifyError } from '../../shared/panels/base';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { trainingsApi } from '../trainings/api';
import { ALGORITHM_FORM } from '../trainings/formAddons';
import { templatesApi } from './api';
import { KO } from './catalog.ko';
import { TemplateDetailPanel } from './detail';
import { TEMPLATE_FORM } from './form';
import { createTemplatesPanel } from './list';

export const templatesArea: IArea = {
  id: 'training-templates',
  label: N_('Templates'),
  aliases: ['templates'],
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers } = deps;
    const { trans } = ctx;
    areas.register({ area: 'training-templates', create: () => createTemplatesPanel(ctx) });
    registerFormKind('template', {
      hints: TEMPLATE_FORM,
      create: (c, body) => templatesApi(c).create(body),
      copy: (c, ref) => templatesApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy training template') : t.__('Create training template')),
      submitLabel: t => t.__('Create training template'),
      // the guide lets every field of a template change: the create form, filled with it, saved with PATCH
      edit: {
        load: async (c, ref) => {
          const t = await templatesApi(c).get(ref);
          return { ...(t.spec ?? {}), name: t.name, description: t.description };
        },
        save: (c, ref, body) => templatesApi(c).update(ref, body),
        heading: t => t.__('Edit training template'),
        submitLabel: t => t.__('Save training template')
      },
      ...ALGORITHM_FORM,
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openTemplate, { id: created.id })
    });

    /** The guide's "save as template": a training's fields under a new name. */
    const fromTraining = async (trainingId: string) => {
      try {
        const training = await trainingsApi(ctx).get(trainingId);
        const name = await askName(trans.__('Save as template'), trans.__('Template name'), `${training.name}-template`.slice(0, 50), trans);
        if (!name) {
          return;
        }
        const template = await templatesApi(ctx).fromTraining(trainingId, { name, description: training.description });
        Notification.success(trans.__('%1 created', template.name), { autoClose: 3000 });
        void app.commands.execute(CommandIDs.openTemplate, { id: template.id });
      } catch (error) {
        notifyError(trans, trans.__('Save as template failed'), error);
      }
    };
    registerResourceCommands(deps, {
      area: 'training-templates',
      list: { id: CommandIDs.openTemplates, label: trans.__('Open Training Templates'), caption: trans.__('Open Training Templates') },
      create: {
        id: CommandIDs.createTemplate,
        label: trans.__('Create Training Template'),
        execute: args => {
          const training = strArg(args, 'fromTraining');
          const editOf = strArg(args, 'editOf');
          if (training) {
            return fromTraining(training);
          }
          return void openers.createForm(editOf ? { kind: 'template', editOf } : { kind: 'template', copyFrom: strArg(args, 'copyFrom') });
        }
      },
      detail: { id: CommandIDs.openTemplate, label: trans.__('Open Training Template'), panel: id => new TemplateDetailPanel(ctx, id) }
    });
  }
};
