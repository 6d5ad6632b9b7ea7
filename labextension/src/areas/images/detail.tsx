/** One image (private or base): its address, type, framework, account and local environment. */
import type { EasyMakerContext } from '../../shared/context';
import { overviewTab } from '../../shared/panels/detailTabs';
import { IDetailTab, ResourceDetailPanel } from '../../shared/panels/resourceDetail';
import { formatTime } from '../../shared/state/format';
import { settledOf } from '../../shared/status';
import { imagesApi, type IImage } from './api';
import { availability } from './list';

export class ImageDetailPanel extends ResourceDetailPanel<IImage> {
  constructor(ctx: EasyMakerContext, imageId: string) {
    super(ctx, { api: imagesApi(ctx), rename: (ref, body) => imagesApi(ctx).update(ref, body), id: imageId, finalStatuses: settledOf('image'), name: 'image' });
    this.title.label = ctx.trans.__('Image');
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const i = this.resource as IImage;
    return [
      overviewTab(trans, i, [
        [trans.__('Address'), i.address],
        [trans.__('Type'), i.image_type],
        [trans.__('Base image'), i.builtin ? trans.__('Yes') : trans.__('No')],
        [trans.__('Core type'), i.core_type ?? '-'],
        [trans.__('Framework'), `${i.framework} ${i.framework_version}`.trim()],
        [trans.__('Python version'), i.python_version],
        [trans.__('Registry account'), i.registry_account_name ?? '-'],
        [trans.__('Local Python environment'), i.local_python || trans.__("The server's own")],
        [trans.__('On this server'), availability(trans, i)],
        [trans.__('Created'), formatTime(i.created_at)]
      ])
    ];
  }
}
