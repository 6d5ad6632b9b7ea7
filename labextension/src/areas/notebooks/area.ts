/** The Notebooks area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands } from '../../shared/plugin/areaModule';
import { notebooksApi } from './api';
import { KO } from './catalog.ko';
import { NotebookDetailPanel } from './detail';
import { NOTEBOOK_FORM } from './form';
import { createNotebooksPanel } from './list';

export const notebooksArea: IArea = {
  id: 'notebooks',
  label: N_('Notebooks'),
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'notebooks', create: () => createNotebooksPanel(ctx) });
    registerFormKind('notebook', {
      hints: NOTEBOOK_FORM,
      create: (c, body) => notebooksApi(c).create(body as never),
      heading: t => t.__('Create notebook'),
      submitLabel: t => t.__('Create notebook'),
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openNotebook, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'notebooks',
      list: { id: CommandIDs.openNotebooks, label: trans.__('Open Notebooks'), caption: trans.__('Open Notebooks') },
      create: { id: CommandIDs.createNotebook, label: trans.__('Create Notebook'), form: () => ({ kind: 'notebook' }) },
      detail: { id: CommandIDs.openNotebook, label: trans.__('Open Notebook'), panel: (id, tab) => new NotebookDetailPanel(ctx, id, tab) }
    });
  }
};
