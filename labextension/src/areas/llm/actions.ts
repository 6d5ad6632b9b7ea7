/** Load, unload, stop, restart and delete of LLM studio models: the toolbar actions of the list and of a model's tab. */
import { Notification } from '@jupyterlab/apputils';

import { confirmDelete } from '../../shared/components/dialogs';
import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { runOnEach } from '../../shared/panels/base';
import { ILlmModel, LlmAction, llmApi } from './api';
import { allowedActions } from './statuses';

export function actionLabel(ctx: EasyMakerContext, action: LlmAction): string {
  const { trans } = ctx;
  switch (action) {
    case 'load':
      return trans.__('Load');
    case 'unload':
      return trans.__('Unload');
    case 'stop':
      return trans.__('Stop');
    case 'restart':
      return trans.__('Restart');
    case 'delete':
      return trans.__('Delete');
    default:
      return trans.__('Playground');
  }
}

async function run(ctx: EasyMakerContext, action: LlmAction, rows: ILlmModel[]): Promise<number> {
  const { trans } = ctx;
  const api = llmApi(ctx);
  switch (action) {
    case 'load':
      return runOnEach(rows, r => api.load(r.id), trans, trans.__('Load failed'));
    case 'unload':
      return runOnEach(rows, r => api.unload(r.id), trans, trans.__('Unload failed'));
    case 'stop':
      return runOnEach(rows, r => api.stop(r.id), trans, trans.__('Stop failed'));
    case 'restart':
      return runOnEach(rows, r => api.restart(r.id), trans, trans.__('Restart failed'));
    case 'delete':
      if (!(await confirmDelete(trans.__('LLM models'), rows.map(r => r.name), trans))) {
        return 0;
      }
      return runOnEach(rows, r => api.remove(r.id), trans, trans.__('Delete failed'));
    default:
      return 0;
  }
}

/** One button per action: enabled when every selected model allows it. */
export function modelActions(ctx: EasyMakerContext, selected: ILlmModel[], after?: (action: LlmAction) => void): IToolbarAction[] {
  const { trans } = ctx;
  const training = selected.some(r => r.status === 'TRAINING');
  const order: LlmAction[] = ['load', 'unload', 'stop', 'restart', 'delete'];
  return order.map(action => {
    const allowed = selected.length > 0 && selected.every(r => allowedActions(r).has(action));
    return {
      id: action,
      label: actionLabel(ctx, action),
      danger: action === 'delete' || action === 'stop',
      disabled: !allowed,
      title: !allowed && training && action !== 'stop' ? trans.__('Other actions are disabled while a model is TRAINING') : undefined,
      onClick: async () => {
        const n = await run(ctx, action, selected);
        if (n) {
          Notification.success(trans.__('%1: %2 model(s)', actionLabel(ctx, action), n), { autoClose: 3000 });
          after?.(action);
        }
      }
    };
  });
}
