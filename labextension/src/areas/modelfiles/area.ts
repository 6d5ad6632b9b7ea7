/** The model files area (Open WebUI's Workspace > Models): its panel, the editor, and the chat. */
import { N_ } from '../../shared/i18n';
import { notifyError } from '../../shared/panels/base';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { modelFilesApi } from './api';
import { KO } from './catalog.ko';
import { ModelFilesChatPanel } from './chat';
import { ModelFileCommandIDs } from './commands';
import { ModelFileEditorPanel } from './editor';
import { ModelFilesPanel } from './list';

export const modelFilesArea: IArea = {
  id: 'modelfiles',
  label: N_('Model files'),
  aliases: ['model-files'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas, openers, app, palette } = deps;
    const { trans } = ctx;
    let panel: ModelFilesPanel | null = null;
    areas.register({
      area: 'modelfiles',
      create: () => {
        panel = new ModelFilesPanel(ctx);
        return panel;
      }
    });
    const refresh = () => void panel?.store.reload();
    registerResourceCommands(deps, {
      area: 'modelfiles',
      list: { id: ModelFileCommandIDs.openModelFiles, label: trans.__('Open model files') },
      create: {
        id: ModelFileCommandIDs.createModelFile,
        label: trans.__('Create model file'),
        execute: () => void openers.reuse(`modelfiles:new:${Date.now()}`, () => new ModelFileEditorPanel(ctx, null, refresh))
      }
    });
    app.commands.addCommand(ModelFileCommandIDs.editModelFile, {
      label: trans.__('Edit model file'),
      execute: async args => {
        const id = strArg(args, 'id');
        if (!id) {
          return;
        }
        try {
          const record = await modelFilesApi(ctx).get(id);
          openers.reuse(`modelfiles:edit:${id}`, () => new ModelFileEditorPanel(ctx, record, refresh));
        } catch (e) {
          notifyError(trans, trans.__('Open failed'), e);
        }
      }
    });
    app.commands.addCommand(ModelFileCommandIDs.openChat, {
      label: trans.__('Chat with model files'),
      execute: args => {
        const model = strArg(args, 'model');
        const chat = openers.reuse('modelfiles:chat', () => new ModelFilesChatPanel(ctx, model ?? ''));
        if (model) {
          chat.session.setModel(model);
        }
      }
    });
    palette?.addItem({ command: ModelFileCommandIDs.openChat, category: trans.__('EasyMaker') });
  }
};
