/** The Endpoints area: panel, commands and the create forms of endpoints, stages and stage resources. */
import { CommandIDs } from '../../commands';
import { EndpointDetailPanel } from '../../panels/endpoints/detail';
import { ADD_RESOURCE_COMMAND, CREATE_STAGE_COMMAND, ENDPOINT_FORM, STAGE_FORM, STAGE_RESOURCE_FORM } from '../../panels/endpoints/form';
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
      // one stage resource from the start: an endpoint serves at least one model
      void openers.createForm({ kind: 'endpoint', preset: { resources: [modelId ? { model: modelId } : {}] } });
    }
  });
  commands.addCommand(CommandIDs.openEndpoint, {
    label: trans.__('Open Endpoint'),
    execute: args => {
      const id = String(args.id);
      const tab = strArg(args, 'tab');
      const stage = strArg(args, 'stage');
      const panel = openers.reuse(`endpoint:${id}`, () => new EndpointDetailPanel(ctx, id, tab ?? (stage ? 'stage' : undefined), stage));
      if (stage) {
        panel.selectStage(stage);
      }
      const wanted = tab ?? (stage ? 'stage' : undefined);
      if (wanted && panel.tab !== wanted) {
        panel.setTab(wanted);
      }
    }
  });
  // a stage's form and a stage resource's form name their endpoint (and stage) in `parent`
  registerFormKind('stage', {
    hints: STAGE_FORM,
    create: (c, body, parent) => c.api.endpoints.createStage(parent.endpoint, body) as never,
    heading: t => t.__('Add stage'),
    submitLabel: t => t.__('Add stage'),
    opened: (c, created, parent) =>
      void c.app.commands.execute(CommandIDs.openEndpoint, { id: parent.endpoint, tab: 'stages', stage: created.name })
  });
  registerFormKind('stage-resource', {
    hints: STAGE_RESOURCE_FORM,
    create: (c, body, parent) =>
      c.api.endpoints.addResource(parent.endpoint, parent.stage, body).then(r => ({ ...r, name: r.model_name }) as never),
    heading: (t, _copy, parent) => t.__('Add model to stage %1', parent.stage),
    submitLabel: t => t.__('Add model'),
    opened: (c, _created, parent) => void c.app.commands.execute(CommandIDs.openEndpoint, { id: parent.endpoint, tab: 'stage', stage: parent.stage })
  });
  commands.addCommand(CREATE_STAGE_COMMAND, {
    label: trans.__('Add stage'),
    execute: args => {
      const preset: Record<string, unknown> = { resources: [{}] };
      if (strArg(args, 'instance_type')) {
        preset.instance_type = args.instance_type;
      }
      if (typeof args.instance_count === 'number') {
        preset.instance_count = args.instance_count;
      }
      void openers.createForm({ kind: 'stage', preset, parent: { endpoint: String(args.endpoint) } });
    }
  });
  commands.addCommand(ADD_RESOURCE_COMMAND, {
    label: trans.__('Add model'),
    execute: args =>
      void openers.createForm({ kind: 'stage-resource', parent: { endpoint: String(args.endpoint), stage: String(args.stage) } })
  });
  for (const command of [CommandIDs.openEndpoints, CommandIDs.createEndpoint]) {
    palette?.addItem({ command, category: trans.__('EasyMaker') });
  }
}
