/** One hyperparameter tuning: overview and status history. */
import * as React from 'react';

import type { ITuning } from '../../api/hpo';
import type { EasyMakerContext } from '../../context';
import { formatTime } from '../../state/format';
import { FINAL_TUNING_STATUSES } from '../../status';
import { DetailTable } from '../base';
import { StatusHistory } from '../cells';
import { IDetailTab, ResourceDetailPanel } from '../resourceDetail';

export class TuningDetailPanel extends ResourceDetailPanel<ITuning> {
  constructor(ctx: EasyMakerContext, id: string, tab?: string) {
    super(ctx, { kind: ctx.api.tunings.kind, id, name: 'hyperparameter-tuning', tab });
    this.title.label = ctx.trans.__('Hyperparameter tuning');
  }

  protected load(): Promise<ITuning> {
    return this.ctx.api.tunings.get(this.resourceId);
  }

  protected isFinal(t: ITuning): boolean {
    return FINAL_TUNING_STATUSES.includes(t.status);
  }

  protected statusDetail(t: ITuning): string {
    return t.status_detail;
  }

  protected tabs(): IDetailTab[] {
    const { trans } = this;
    const t = this.resource as ITuning;
    return [
      {
        id: 'overview',
        label: trans.__('Overview'),
        render: () => (
          <DetailTable
            rows={[
              [trans.__('Name'), t.name],
              [trans.__('ID'), <code>{t.id}</code>],
              [trans.__('Strategy'), t.strategy],
              [trans.__('Created'), formatTime(t.created_at)]
            ]}
          />
        )
      },
      { id: 'history', label: trans.__('Status history'), render: () => <StatusHistory history={t.history} /> }
    ];
  }
}
