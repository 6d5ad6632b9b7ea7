/** The Images area: private images, and the guide's base images with whether this server runs each. */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import * as React from 'react';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import { StatusBadge } from '../../shared/components/StatusBadge';
import type { EasyMakerContext } from '../../shared/context';
import type { ITrans } from '../../shared/i18n';
import { notifyError } from '../../shared/panels/base';
import { NameCell, TimeCell } from '../../shared/panels/cells';
import { standardActions } from '../../shared/panels/listActions';
import { IResourceListConfig, ResourceListPanel, createListPanel } from '../../shared/panels/resourceList';
import { statusesOf } from '../../shared/status';
import { imagesApi, type IImage } from './api';
import { ImageCommandIDs } from './commands';

export function availability(trans: ITrans, image: IImage): string {
  return image.available ? trans.__('Available') : trans.__('Not available here: %1', image.unavailable_reason);
}

export function imageActions(ctx: EasyMakerContext, selected: IImage[]): IToolbarAction[] {
  const { trans } = ctx;
  const commands = ctx.app.commands;
  const actions = standardActions(ctx, selected, {
    kind: 'image',
    createLabel: trans.__('Create image'),
    create: () => void commands.execute(ImageCommandIDs.createImage, {}),
    remove: { run: i => imagesApi(ctx).remove(i.id), blocked: '', noun: trans.__('images') }
  });
  actions.push({
    id: 'base',
    label: trans.__('Base images'),
    title: trans.__('The base images private images derive from'),
    onClick: () => void commands.execute(ImageCommandIDs.openBaseImages, {})
  });
  return actions;
}

export function BaseImagesTable(props: { images: IImage[]; trans: ITrans }): JSX.Element {
  const { images, trans } = props;
  return (
    <table className="jp-EasyMaker-table" data-role="base-images">
      <thead>
        <tr>
          {[trans.__('Image name'), trans.__('Type'), trans.__('Core type'), trans.__('Framework'), trans.__('Framework version'), trans.__('Python version'), trans.__('On this server'), trans.__('Address')].map(h => (
            <th key={h}>{h}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {images.map(i => (
          <tr key={i.id} data-image={i.id}>
            <td>{i.name}</td>
            <td>{i.image_type}</td>
            <td>{i.core_type}</td>
            <td>{i.framework}</td>
            <td>{i.framework_version}</td>
            <td>{i.python_version}</td>
            <td>{availability(trans, i)}</td>
            <td>
              <code>{i.address}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export async function showBaseImages(ctx: EasyMakerContext): Promise<void> {
  const { trans } = ctx;
  try {
    const images = await imagesApi(ctx).baseImages();
    await showDialog({
      title: trans.__('Base images'),
      body: <BaseImagesTable images={images} trans={trans} />,
      buttons: [Dialog.okButton({ label: trans.__('Close') })]
    });
  } catch (error) {
    notifyError(trans, trans.__('Base images'), error);
  }
}

export function createImagesPanel(ctx: EasyMakerContext): ResourceListPanel<IImage> {
  const { trans } = ctx;
  const open = (row: IImage) => void ctx.app.commands.execute(ImageCommandIDs.openImage, { id: row.id });
  const config: IResourceListConfig<IImage> = {
    area: 'images',
    statuses: statusesOf('image'),
    empty: trans.__('No private images yet. Create one from an image derived from a base image.'),
    open,
    actions: selected => imageActions(ctx, selected),
    columns: () => [
      { id: 'name', label: trans.__('Name'), width: 'minmax(160px, 2fr)', sortKey: 'name', render: i => <NameCell name={i.name} description={i.description} onOpen={() => open(i)} /> },
      { id: 'status', label: trans.__('Status'), width: '100px', sortKey: 'status', render: i => <StatusBadge status={i.status} /> },
      { id: 'type', label: trans.__('Type'), width: '100px', render: i => i.image_type },
      { id: 'address', label: trans.__('Address'), width: 'minmax(200px, 3fr)', render: i => i.address },
      { id: 'account', label: trans.__('Registry account'), width: 'minmax(110px, 1fr)', render: i => i.registry_account_name ?? '' },
      { id: 'available', label: trans.__('On this server'), width: 'minmax(110px, 1fr)', render: i => availability(trans, i) },
      { id: 'created', label: trans.__('Created'), width: '165px', sortKey: 'created_at', render: i => <TimeCell value={i.created_at} /> }
    ]
  };
  return createListPanel(ctx, imagesApi(ctx), config, { id: 'jp-EasyMaker-images', title: trans.__('Images') });
}
