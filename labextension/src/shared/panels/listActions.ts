/**
 * The table actions every resource family shares: create, stop, copy and
 * delete on the selected rows, with the confirmations and the one-line
 * summary of failures. Families add their own actions after these.
 */
import { Notification } from '@jupyterlab/apputils';

import type { IResource } from '../api/types';
import { confirmDelete, confirmStop } from '../components/dialogs';
import type { IToolbarAction } from '../components/ListToolbar';
import type { EasyMakerContext } from '../context';
import { isSettled, isStoppable, StatusKind } from '../status';
import { runOnEach } from './base';

export interface IStandardActions<T extends IResource> {
  /** The kind's status words decide what may be stopped and deleted. */
  kind: StatusKind;
  /** Label of the primary "create" button. */
  createLabel: string;
  create(): void;
  /** Stop (jobs only): the rows in a stoppable status. */
  stop?: { run(row: T): Promise<unknown>; title?: string };
  /** Open a create form pre-filled from each selected row. */
  copy?: { run(row: T): void; title?: string };
  /**
   * Delete, allowed when every selected row is settled; `blocked` says why
   * not, `noun` names the kind in the dialog (plural).
   */
  remove: { run(row: T): Promise<unknown>; blocked: string; noun: string; title?: string };
}

export function standardActions<T extends IResource>(
  ctx: EasyMakerContext,
  selected: T[],
  spec: IStandardActions<T>
): IToolbarAction[] {
  const { trans } = ctx;
  const actions: IToolbarAction[] = [{ id: 'create', label: spec.createLabel, primary: true, onClick: () => spec.create() }];
  const stop = spec.stop;
  if (stop) {
    const stoppable = selected.filter(r => isStoppable(spec.kind, r.status));
    actions.push({
      id: 'stop',
      label: trans.__('Stop'),
      disabled: stoppable.length === 0,
      title: stop.title,
      onClick: async () => {
        if (await confirmStop(stoppable.map(r => r.name), trans)) {
          await runOnEach(stoppable, r => stop.run(r), trans, trans.__('Stop failed'));
        }
      }
    });
  }
  const copy = spec.copy;
  if (copy) {
    actions.push({
      id: 'copy',
      label: trans.__('Copy'),
      disabled: selected.length === 0 || selected.length > 10,
      title: copy.title ?? trans.__('Open a create form pre-filled from each selected row'),
      onClick: () => selected.forEach(r => copy.run(r))
    });
  }
  const deletable = selected.filter(r => isSettled(spec.kind, r.status));
  const blocked = deletable.length !== selected.length;
  actions.push({
    id: 'delete',
    label: trans.__('Delete'),
    danger: true,
    disabled: deletable.length === 0 || blocked,
    title: blocked ? spec.remove.blocked : spec.remove.title,
    onClick: async () => {
      if (!(await confirmDelete(spec.remove.noun, deletable.map(r => r.name), trans))) {
        return;
      }
      const n = await runOnEach(deletable, r => spec.remove.run(r), trans, trans.__('Delete failed'));
      if (n) {
        Notification.success(trans.__('%1 deleted', n), { autoClose: 3000 });
      }
    }
  });
  return actions;
}
