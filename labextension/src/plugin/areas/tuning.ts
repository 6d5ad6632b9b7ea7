/** The Hyperparameter tuning area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../panels/formKinds';
import { TuningDetailPanel } from '../../panels/tuning/detail';
import { TUNING_FORM } from '../../panels/tuning/form';
import { createTuningsPanel } from '../../panels/tuning/list';
import { easymakerIcon } from '../icon';
import { IAreaDeps, strArg } from '../areaModule';

export function registerTuningArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { commands } = app;
  areas.register({ area: 'hyperparameter-tuning', create: () => createTuningsPanel(ctx) });
  registerFormKind('tuning', {
    hints: TUNING_FORM,
    create: (c, body) => c.api.tunings.create(body),
    copy: (c, ref) => c.api.tunings.copy(ref),
    heading: (t, copy) => (copy ? t.__('Copy hyperparameter tuning') : t.__('Create hyperparameter tuning')),
    submitLabel: t => t.__('Create hyperparameter tuning'),
    experimentPickers: true,
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openTuning, { id: created.id })
  });

  commands.addCommand(CommandIDs.openTunings, {
    label: trans.__('Open Hyperparameter Tuning'),
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has('hyperparameter-tuning'),
    execute: () => areas.open('hyperparameter-tuning')
  });
  commands.addCommand(CommandIDs.createTuning, {
    label: trans.__('Create Hyperparameter Tuning'),
    icon: easymakerIcon,
    execute: args =>
      void openers.createForm({
        kind: 'tuning',
        copyFrom: strArg(args, 'copyFrom'),
        templateId: strArg(args, 'templateId'),
        experimentId: strArg(args, 'experimentId')
      })
  });
  commands.addCommand(CommandIDs.openTuning, {
    label: trans.__('Open Hyperparameter Tuning'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`tuning:${id}`, () => new TuningDetailPanel(ctx, id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  for (const command of [CommandIDs.openTunings, CommandIDs.createTuning]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
