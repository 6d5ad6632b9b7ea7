/** The LLM studio area: its panel, the model's tab, the register and fine-tuning forms, the playground and the prompt templates. */
import type { EasyMakerContext } from '../../shared/context';
import type { IChoice } from '../../shared/forms/formKinds';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands, strArg } from '../../shared/plugin/areaModule';
import { llmApi } from './api';
import { KO } from './catalog.ko';
import { LlmCommandIDs } from './commands';
import { LlmModelDetailPanel } from './detail';
import { FINETUNE_FORM, REGISTER_FORM, finetuneBody } from './form';
import { createLlmPanel } from './list';
import { LlmPlaygroundPanel } from './playground';
import { PromptTemplatesPanel } from './templates';

/** Models a fine-tuning can start from: not embeddings, not being trained. */
async function baseModelChoices(ctx: EasyMakerContext): Promise<IChoice[]> {
  const page = await llmApi(ctx).list({ limit: 1000, sort: 'name' });
  return page.items
    .filter(m => m.kind !== 'embedding')
    .map(m => ({
      value: m.name,
      label: `${m.name}${m.parameters_label ? ` · ${m.parameters_label}` : ''} (${m.status})`,
      disabled: m.status === 'TRAINING',
      description: m.description || undefined
    }));
}

async function instanceTypeChoices(ctx: EasyMakerContext): Promise<IChoice[]> {
  return (ctx.capabilities.instance_types ?? []).map(it => ({
    value: it.name,
    label: `${it.name} — ${it.cpu} CPU, ${Math.round(it.memory_mib / 1024)} GiB${it.gpu ? `, ${it.gpu} GPU` : ''}`
  }));
}

export const llmArea: IArea = {
  id: 'llm',
  label: N_('LLM studio'),
  aliases: ['llm-studio'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas, openers, app, palette } = deps;
    const { trans } = ctx;
    const open = (id: string) => void app.commands.execute(LlmCommandIDs.openModel, { id });
    areas.register({ area: 'llm', create: () => createLlmPanel(ctx) });
    registerFormKind('llm-model', {
      hints: REGISTER_FORM,
      create: (c, body) => llmApi(c).create(body),
      heading: t => t.__('Register base model'),
      submitLabel: t => t.__('Register'),
      opened: (_c, created) => open(created.id)
    });
    registerFormKind('llm-finetuning', {
      hints: FINETUNE_FORM,
      create: (c, body) => llmApi(c).finetune(finetuneBody(body)),
      heading: t => t.__('Start fine-tuning'),
      submitLabel: t => t.__('Start fine-tuning'),
      choices: { base_model: baseModelChoices, instance_type: instanceTypeChoices },
      opened: (_c, created) => void app.commands.execute(LlmCommandIDs.openModel, { id: created.id, tab: 'progress' })
    });
    registerResourceCommands(deps, {
      area: 'llm',
      list: { id: LlmCommandIDs.openModels, label: trans.__('Open LLM studio') },
      create: { id: LlmCommandIDs.registerModel, label: trans.__('Register base model'), form: () => ({ kind: 'llm-model' }) },
      detail: { id: LlmCommandIDs.openModel, label: trans.__('Open LLM model'), panel: (id, tab) => new LlmModelDetailPanel(ctx, id, tab) }
    });
    app.commands.addCommand(LlmCommandIDs.createFinetuning, {
      label: trans.__('Start fine-tuning'),
      execute: args => {
        const base = strArg(args, 'base_model');
        void openers.createForm({ kind: 'llm-finetuning', preset: base ? { base_model: base, name: `${base}-sft` } : undefined });
      }
    });
    const playground = (model?: string) => {
      const panel = openers.reuse('llm:playground', () => new LlmPlaygroundPanel(ctx, model ?? ''));
      if (model) {
        panel.session.setModel(model);
      }
      return panel;
    };
    app.commands.addCommand(LlmCommandIDs.openPlayground, {
      label: trans.__('Open LLM playground'),
      execute: args => void playground(strArg(args, 'model'))
    });
    app.commands.addCommand(LlmCommandIDs.openTemplates, {
      label: trans.__('Open prompt templates'),
      execute: () =>
        void openers.reuse(
          'llm:templates',
          () =>
            new PromptTemplatesPanel(ctx, prompt => {
              const panel = playground();
              const p = prompt.template.parameters ?? {};
              panel.session.setSettings({
                system: prompt.system,
                ...(typeof p.temperature === 'number' ? { temperature: p.temperature } : {}),
                ...(typeof p.top_p === 'number' ? { top_p: p.top_p } : {}),
                ...(typeof p.max_tokens === 'number' ? { max_tokens: p.max_tokens } : {}),
                ...(Array.isArray(p.stop) ? { stop: p.stop } : {})
              });
              panel.setDraft(prompt.user);
            })
        )
    });
    for (const id of [LlmCommandIDs.createFinetuning, LlmCommandIDs.openPlayground, LlmCommandIDs.openTemplates]) {
      palette?.addItem({ command: id, category: trans.__('EasyMaker') });
    }
  }
};
