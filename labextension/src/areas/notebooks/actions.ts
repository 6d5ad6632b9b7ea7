/** What can be done to a notebook in each status, with the guide's confirmations. */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import type { IToolbarAction } from '../../shared/components/ListToolbar';
import type { EasyMakerContext } from '../../shared/context';
import { notifyError } from '../../shared/panels/base';
import { statusWords } from '../../shared/status';
import { notebooksApi, type INotebook } from './api';

const ACTIVE = ['ACTIVE (HEALTHY)', 'ACTIVE (UNHEALTHY)'];
// the server's state machine (statuses.py): where a start and a reboot are accepted
const STARTABLE = ['STOPPED', 'CREATE FAILED', 'START FAILED'];
const REBOOTABLE = [...ACTIVE, 'REBOOT FAILED'];

/** Whether the server's state machine lets a notebook in `from` take the action `target` starts. */
export function canBecome(from: string, target: string): boolean {
  const words = statusWords('notebook');
  switch (target) {
    case 'START IN PROGRESS':
      return STARTABLE.includes(from);
    case 'REBOOT IN PROGRESS':
      return REBOOTABLE.includes(from);
    case 'STOP IN PROGRESS':
      return words.stoppable.includes(from);
    case 'DELETE IN PROGRESS':
      return words.deletable.includes(from);
    default:
      return false;
  }
}

async function confirmAction(ctx: EasyMakerContext, title: string, body: string, ok: string): Promise<boolean> {
  const { trans } = ctx;
  const result = await showDialog({
    title,
    body: `${body} ${trans.__('The requested action cannot be cancelled.')}`,
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: ok })],
    defaultButton: 0
  });
  return result.button.accept;
}

/** Open the notebook's Jupyter in a new browser tab (through this server's authenticated proxy). */
export function openNotebook(n: INotebook): void {
  if (n.url) {
    window.open(n.url, '_blank', 'noopener');
  }
}

export async function askText(ctx: EasyMakerContext, title: string, label: string, value: string): Promise<string | null> {
  const { InputDialog } = await import('@jupyterlab/apputils');
  const result = await InputDialog.getText({ title, label, text: value, okLabel: ctx.trans.__('Change'), cancelLabel: ctx.trans.__('Cancel') });
  return result.button.accept && result.value ? result.value : null;
}

export async function askInstanceType(ctx: EasyMakerContext, n: INotebook): Promise<string | null> {
  const { InputDialog } = await import('@jupyterlab/apputils');
  const types = ctx.capabilities.instance_types ?? [];
  const current = types.find(t => t.name === n.instance_type);
  const sameCore = types.filter(t => (t.gpu ?? 0) > 0 === ((current?.gpu ?? 0) > 0)).map(t => t.name);
  const result = await InputDialog.getItem({
    title: ctx.trans.__('Change instance type'),
    label: ctx.trans.__('Only instance types of the same core type (CPU or GPU) are offered.'),
    items: sameCore.length ? sameCore : [n.instance_type],
    current: n.instance_type,
    okLabel: ctx.trans.__('Change'),
    cancelLabel: ctx.trans.__('Cancel')
  });
  return result.button.accept && result.value ? result.value : null;
}

/** Open, start, stop, reboot, change instance type, rename and delete of one notebook. */
export function notebookActions(ctx: EasyMakerContext, n: INotebook | undefined, done: () => void, removed: () => void): IToolbarAction[] {
  const { trans } = ctx;
  const api = notebooksApi(ctx);
  const run = (label: string, work: () => Promise<unknown>) => () =>
    void work()
      .then(done)
      .catch(error => notifyError(trans, label, error));
  const status = n?.status ?? '';
  return [
    {
      id: 'open',
      label: trans.__('Open Jupyter notebook'),
      primary: true,
      disabled: !n || !ACTIVE.includes(status) || !n.url,
      onClick: () => n && openNotebook(n)
    },
    {
      id: 'start',
      label: trans.__('Start notebook'),
      disabled: !n || !canBecome(status, 'START IN PROGRESS'),
      onClick: run(trans.__('Start notebook'), async () => {
        if (n && (await confirmAction(ctx, trans.__('Start notebook'), trans.__('Start %1?', n.name), trans.__('Start')))) {
          await api.start(n.id);
        }
      })
    },
    {
      id: 'stop',
      label: trans.__('Stop notebook'),
      disabled: !n || !canBecome(status, 'STOP IN PROGRESS'),
      onClick: run(trans.__('Stop notebook'), async () => {
        if (
          n &&
          (await confirmAction(
            ctx,
            trans.__('Stop notebook'),
            trans.__('Stop %1? Environments outside ~/easymaker/custom-conda-envs are reset when it starts again.', n.name),
            trans.__('Stop')
          ))
        ) {
          await api.stop(n.id);
        }
      })
    },
    {
      id: 'reboot',
      label: trans.__('Reboot notebook'),
      disabled: !n || !canBecome(status, 'REBOOT IN PROGRESS'),
      onClick: run(trans.__('Reboot notebook'), async () => {
        if (n && (await confirmAction(ctx, trans.__('Reboot notebook'), trans.__('Reboot %1?', n.name), trans.__('Reboot')))) {
          await api.reboot(n.id);
        }
      })
    },
    {
      id: 'instance-type',
      label: trans.__('Change instance type'),
      disabled: !n || status !== 'STOPPED',
      title: trans.__('Stop the notebook first'),
      onClick: run(trans.__('Change instance type'), async () => {
        const chosen = n ? await askInstanceType(ctx, n) : null;
        if (n && chosen && chosen !== n.instance_type) {
          await api.change(n.id, { instance_type: chosen });
        }
      })
    },
    {
      id: 'rename',
      label: trans.__('Change name'),
      disabled: !n,
      onClick: run(trans.__('Change name'), async () => {
        const name = n ? await askText(ctx, trans.__('Change name'), trans.__('Notebook name'), n.name) : null;
        if (n && name && name !== n.name) {
          await api.change(n.id, { name });
        }
      })
    },
    {
      id: 'delete',
      label: trans.__('Delete notebook'),
      disabled: !n || !canBecome(status, 'DELETE IN PROGRESS'),
      onClick: () =>
        void (async () => {
          if (
            n &&
            (await confirmAction(
              ctx,
              trans.__('Delete notebook'),
              trans.__('Delete %1? Its boot and data storage are deleted; a connected NAS is not.', n.name),
              trans.__('Delete')
            ))
          ) {
            await api.remove(n.id);
            removed();
          }
        })().catch(error => notifyError(trans, trans.__('Delete notebook'), error))
    }
  ];
}
