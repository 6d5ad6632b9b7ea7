/** The RAG area: panel, commands and create form. */
import type { EasyMakerContext } from '../../shared/context';
import type { IChoice } from '../../shared/forms/formKinds';
import { registerFormKind } from '../../shared/forms/formKinds';
import { N_ } from '../../shared/i18n';
import { IArea, registerResourceCommands } from '../../shared/plugin/areaModule';
import { endpointsApi } from '../endpoints/api';
import { ragsApi } from './api';
import { KO } from './catalog.ko';
import { RagCommandIDs } from './commands';
import { RagDetailPanel } from './detail';
import { RAG_FORM } from './form';
import { createRagPanel } from './list';

/** The endpoints of this product by name (the LLM a RAG asks); ACTIVE ones can be chosen. */
async function endpointChoices(ctx: EasyMakerContext): Promise<IChoice[]> {
  const page = await endpointsApi(ctx).list({ limit: 1000, sort: 'name' });
  return page.items.map(e => ({
    value: e.name,
    label: e.status === 'ACTIVE' ? e.name : `${e.name} (${e.status})`,
    disabled: e.status !== 'ACTIVE',
    description: e.description || undefined
  }));
}

/** The server's instance types (of the embedding model and the LLM). */
async function instanceTypeChoices(ctx: EasyMakerContext): Promise<IChoice[]> {
  return (ctx.capabilities.instance_types ?? []).map(it => ({
    value: it.name,
    label: `${it.name} — ${it.cpu} CPU, ${Math.round(it.memory_mib / 1024)} GiB${it.gpu ? `, ${it.gpu} GPU` : ''}`
  }));
}

export const ragArea: IArea = {
  id: 'rags',
  label: N_('RAG'),
  aliases: ['rag'],
  catalogs: { ko: KO },
  register(deps) {
    const { ctx, areas } = deps;
    const { trans } = ctx;
    areas.register({ area: 'rags', create: () => createRagPanel(ctx) });
    registerFormKind('rag', {
      hints: RAG_FORM,
      create: (c, body) => ragsApi(c).create(body),
      heading: t => t.__('Create RAG'),
      submitLabel: t => t.__('Create RAG'),
      choices: { 'llm.endpoint': endpointChoices, 'embedding.instance_type': instanceTypeChoices, 'llm.instance_type': instanceTypeChoices },
      opened: (c, created) => void c.app.commands.execute(RagCommandIDs.openRag, { id: created.id })
    });
    registerResourceCommands(deps, {
      area: 'rags',
      list: { id: RagCommandIDs.openRags, label: trans.__('Open RAG') },
      create: { id: RagCommandIDs.createRag, label: trans.__('Create RAG'), form: () => ({ kind: 'rag' }) },
      detail: { id: RagCommandIDs.openRag, label: trans.__('Open RAG'), panel: (id, tab) => new RagDetailPanel(ctx, id, tab) }
    });
  }
};
