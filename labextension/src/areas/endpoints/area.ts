/** The Endpoints area: panel, commands and the create forms of endpoints, stages and stage resources. */
import { CommandIDs } from '../../commands';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { activeModelChoices } from '../models/pickers';
import { endpointsApi } from './api';
import { KO } from './catalog.ko';
import { EndpointDetailPanel } from './detail';
import { ENDPOINT_FORM, STAGE_FORM, STAGE_RESOURCE_FORM } from './form';
import { createEndpointsPanel } from './list';

export const endpointsArea: IArea = {
  id: 'endpoints',
  label: N_('Endpoints'),
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers } = deps;
    const { trans } = ctx;
    const { commands } = app;
    areas.register({ area: 'endpoints', create: () => createEndpointsPanel(ctx) });
    registerFormKind('endpoint', {
      hints: ENDPOINT_FORM,
      create: (c, body) => endpointsApi(c).create(body),
      heading: t => t.__('Create endpoint'),
      submitLabel: t => t.__('Create endpoint'),
      choices: { 'resources[].model': activeModelChoices },
      opened: (c, created) => void c.app.commands.execute(CommandIDs.openEndpoint, { id: created.id })
    });
    // a stage's form and a stage resource's form name their endpoint (and stage) in `parent`
    registerFormKind('stage', {
      hints: STAGE_FORM,
      create: (c, body, parent) => endpointsApi(c).createStage(parent.endpoint, body) as never,
      heading: t => t.__('Add stage'),
      submitLabel: t => t.__('Add stage'),
      choices: { 'resources[].model': activeModelChoices },
      opened: (c, created, parent) =>
        void c.app.commands.execute(CommandIDs.openEndpoint, { id: parent.endpoint, tab: 'stages', stage: created.name })
    });
    registerFormKind('stage-resource', {
      hints: STAGE_RESOURCE_FORM,
      create: (c, body, parent) =>
        endpointsApi(c)
          .addResource(parent.endpoint, parent.stage, body)
          .then(r => ({ ...r, name: r.model_name }) as never),
      heading: (t, _copy, parent) => t.__('Add model to stage %1', parent.stage),
      submitLabel: t => t.__('Add model'),
      choices: { model: activeModelChoices },
      opened: (c, _created, parent) => void c.app.commands.execute(CommandIDs.openEndpoint, { id: parent.endpoint, tab: 'stage', stage: parent.stage })
    });

    registerResourceCommands(deps, {
      area: 'endpoints',
      list: { id: CommandIDs.openEndpoints, label: trans.__('Open Endpoints') },
      create: {
        id: CommandIDs.createEndpoint,
        label: trans.__('Create Endpoint'),
        // one stage resource from the start: an endpoint serves at least one model
        form: args => {
          const modelId = strArg(args, 'modelId');
          return { kind: 'endpoint', preset: { resources: [modelId ? { model: modelId } : {}] } };
        }
      }
    });
    commands.addCommand(CommandIDs.openEndpoint, {
      label: trans.__('Open Endpoint'),
      execute: args => {
        const id = String(args.id);
        const tab = strArg(args, 'tab');
        const stage = strArg(args, 'stage');
        const wanted = tab ?? (stage ? 'stage' : undefined);
        const panel = openers.reuse(`endpoints:${id}`, () => new EndpointDetailPanel(ctx, id, wanted, stage));
        if (stage) {
          panel.selectStage(stage);
        }
        if (wanted && panel.tab !== wanted) {
          panel.setTab(wanted);
        }
      }
    });
    commands.addCommand(CommandIDs.createEndpointStage, {
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
    commands.addCommand(CommandIDs.addStageResource, {
      label: trans.__('Add model'),
      execute: args =>
        void openers.createForm({ kind: 'stage-resource', parent: { endpoint: String(args.endpoint), stage: String(args.stage) } })
    });
  }
};
