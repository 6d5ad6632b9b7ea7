/** The Endpoints area: panel, commands and create form. */
import { CommandIDs } from '../../commands';
import { EndpointDetailPanel } from '../../panels/endpoints/detail';
import { ENDPOINT_FORM } from '../../panels/endpoints/form';
import { createEndpointsPanel } from '../../panels/endpoints/list';
import { registerFormKind } from '../../panels/formKinds';
import { easymakerIcon } from '../icon';
import { IAreaDeps, strArg } from '../areaModule';

export function registerEndpointsArea(deps: IAreaDeps): void {
  const { app, ctx, areas, openers, palette } = deps;
  const { trans } = ctx;
  const { commands } = app;
  areas.register({ area: 'endpoints', create: () => createEndpointsPanel(ctx) });
  registerFormKind('endpoint', {
    hints: ENDPOINT_FORM,
    create: (c, body) => c.api.endpoints.create(body),
    heading: t => t.__('Create endpoint'),
    submitLabel: t => t.__('Create endpoint'),
    opened: (c, created) => void c.app.commands.execute(CommandIDs.openEndpoint, { id: created.id })
  });

  commands.addCommand(CommandIDs.openEndpoints, {
    label: trans.__('Open Endpoints'),
    icon: easymakerIcon,
    isEnabled: () => ctx.handshake.kind === 'pending' || areas.has('endpoints'),
    execute: () => areas.open('endpoints')
  });
  commands.addCommand(CommandIDs.createEndpoint, {
    label: trans.__('Create Endpoint'),
    icon: easymakerIcon,
    execute: args => {
      const modelId = strArg(args, 'modelId');
      void openers.createForm({ kind: 'endpoint', preset: modelId ? { resources: [{ model: modelId }] } : undefined });
    }
  });
  commands.addCommand(CommandIDs.openEndpoint, {
    label: trans.__('Open Endpoint'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const panel = openers.reuse(`endpoint:${id}`, () => new EndpointDetailPanel(ctx, id, tab));
      if (tab && panel.tab !== tab) {
        panel.setTab(tab);
      }
    }
  });
  for (const command of [CommandIDs.openEndpoints, CommandIDs.createEndpoint]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
