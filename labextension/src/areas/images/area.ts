/** The Images area: panel, commands, the base images and the create form (with its account control). */
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands } from '../../shared/plugin/areaModule';
import { AccountFormAddon } from './accountAddon';
import { imagesApi } from './api';
import { KO } from './catalog.ko';
import { ImageCommandIDs } from './commands';
import { ImageDetailPanel } from './detail';
import { IMAGE_FORM } from './form';
import { createImagesPanel, showBaseImages } from './list';

export const imagesArea: IArea = {
  id: 'images',
  label: N_('Images'),
  aliases: ['private-images'],
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers } = deps;
    const { trans } = ctx;
    areas.register({ area: 'images', create: () => createImagesPanel(ctx) });
    registerFormKind('image', {
      hints: IMAGE_FORM,
      create: (c, body) => imagesApi(c).create(body),
      heading: t => t.__('Create image'),
      submitLabel: t => t.__('Create image'),
      addon: host => new AccountFormAddon(host),
      opened: (c, created) => void c.app.commands.execute(ImageCommandIDs.openImage, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'images',
      list: { id: ImageCommandIDs.openImages, label: trans.__('Open Images'), caption: trans.__('Open Images') },
      create: { id: ImageCommandIDs.createImage, label: trans.__('Create Image'), execute: () => void openers.createForm({ kind: 'image' }) },
      detail: { id: ImageCommandIDs.openImage, label: trans.__('Open Image'), panel: id => new ImageDetailPanel(ctx, id) }
    });
    app.commands.addCommand(ImageCommandIDs.openBaseImages, { label: trans.__('Base images'), execute: () => showBaseImages(ctx) });
  }
};
