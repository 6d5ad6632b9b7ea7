/**
 * The Pipelines area: the panel (pipelines and their runs), the upload
 * dialog, the run form, the pipeline and run detail tabs, and their
 * commands.
 */
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { easymakerIcon } from '../../shared/plugin/icon';
import { pipelineRunsApi } from './api';
import { KO } from './catalog.ko';
import { PipelineCommandIDs } from './commands';
import { PipelineDetailPanel } from './detail';
import { PIPELINE_RUN_FORM } from './form';
import { RunFormAddon } from './formAddons';
import { PipelinesPanel, uploadPipeline } from './list';
import { PipelineRunDetailPanel } from './runDetail';

export const pipelinesArea: IArea = {
  id: 'pipelines',
  label: N_('Pipelines'),
  aliases: ['pipeline-runs'],
  catalogs: { ko: KO },
  register(deps) {
    const { app, ctx, areas, openers, palette } = deps;
    const { trans } = ctx;
    areas.register({ area: 'pipelines', create: () => new PipelinesPanel(ctx) });
    registerFormKind('pipeline-run', {
      hints: PIPELINE_RUN_FORM,
      create: (c, body) => pipelineRunsApi(c).create(body),
      copy: (c, ref) => pipelineRunsApi(c).copy(ref),
      heading: (t, copy) => (copy ? t.__('Copy pipeline run') : t.__('Create pipeline run')),
      submitLabel: t => t.__('Start run'),
      addon: host => new RunFormAddon(host),
      opened: (c, created) => void c.app.commands.execute(PipelineCommandIDs.openPipelineRun, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'pipelines',
      list: { id: PipelineCommandIDs.openPipelines, label: trans.__('Open pipelines') },
      create: { id: PipelineCommandIDs.uploadPipeline, label: trans.__('Upload pipeline'), execute: () => uploadPipeline(ctx) },
      detail: { id: PipelineCommandIDs.openPipeline, label: trans.__('Open pipeline'), panel: (id, tab) => new PipelineDetailPanel(ctx, id, tab) }
    });
    app.commands.addCommand(PipelineCommandIDs.createPipelineRun, {
      label: trans.__('Create pipeline run'),
      icon: easymakerIcon,
      execute: args => {
        const pipeline = strArg(args, 'pipeline');
        void openers.createForm({ kind: 'pipeline-run', copyFrom: strArg(args, 'copyFrom'), preset: pipeline ? { pipeline_name: pipeline } : undefined });
      }
    });
    palette?.addItem({ command: PipelineCommandIDs.createPipelineRun, category: trans.__('EasyMaker') });
    app.commands.addCommand(PipelineCommandIDs.openPipelineRun, {
      label: trans.__('Open pipeline run'),
      execute: args => {
        const id = String(args.id);
        const tab = strArg(args, 'tab');
        const panel = openers.reuse(`pipeline-runs:${id}`, () => new PipelineRunDetailPanel(ctx, id, tab));
        if (tab && panel.tab !== tab) {
          panel.setTab(tab);
        }
      }
    });
  }
};
