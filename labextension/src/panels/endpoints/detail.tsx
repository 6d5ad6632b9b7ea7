/** One endpoint: overview and status history. */
import * as React from 'react';

import type { IChangeEvent } from '../../api/types';
import type { IEndpoint } from '../../api/endpoints';
import type { EasyMakerContext } from '../../context';
import { formatTime } from '../../state/format';
import { DetailTable } from '../base';
import { StatusHistory } from '../cells';
import { IDetailTab, ResourceDetailPanel } from '../resourceDetail';

export class EndpointDetailPanel extends ResourceDetailPanel<IEndpoint> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { kind: ctx.api.endpoints.kind, id, name: 'endpoint', tab });
    this.title.label = ctx.trans.__('Endpoint');
  }

  protected load(): Promise<IEndpoint> {
    return this.ctx.api.endpoints.get(this.resourceId);
  }

  protected isFinal(e: IEndpoint): boolean {
    return e.status === 'ACTIVE' || e.status.endsWith('FAILED');
  }

  protected watches(event: IChangeEvent): boolean {
    const api = this.ctx.api.endpoints;
    return event.kind === api.stageKind || event.kind === api.resourceKind;
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const e = this.resource as IEndpoint;
    return [
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <DetailTable
            rows={[
              [trans.__('Name'), e.name],
              [trans.__('ID'), <code>{e.id}</code>],
              [trans.__('Default stage URL'), <code>{e.default_stage_url}</code>],
              [trans.__('Created'), formatTime(e.created_at)]
            ]}
          />
        )
      },
      { id: 'history', label: trans.__('Status history'), render: () => <StatusHistory history={e.history} /> }
    ];
  }
}
