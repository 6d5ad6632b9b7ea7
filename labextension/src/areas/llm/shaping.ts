/** Pure parts of the LLM studio (unit-tested): template variables and the playground's model picker. */
import type { IChatModelChoice } from '../../shared/components/chat/ChatView';
import type { ILlmModel } from './api';
import { isServing, statusLabelKo } from './statuses';

/** The variables a template uses (`{{name}}`, the system prompt's first), in order, once each. */
export function templateVariables(template: string, system = ''): string[] {
  const out: string[] = [];
  for (const text of [system, template]) {
    for (const m of text.matchAll(/\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g)) {
      if (!out.includes(m[1])) {
        out.push(m[1]);
      }
    }
  }
  return out;
}

/** The models of the picker: RUNNING ones enabled, the others disabled with their status. */
export function modelChoices(models: readonly ILlmModel[]): IChatModelChoice[] {
  const chat = models.filter(m => m.kind !== 'embedding' && m.kind !== 'safety');
  const serving = chat.filter(m => isServing(m));
  const others = chat.filter(m => !isServing(m));
  return [
    ...serving.map(m => ({ id: m.name, label: m.name })),
    ...others.map(m => ({ id: m.name, label: `${m.name} (${m.status === 'RUNNING' ? 'starting…' : statusLabelKo(m)})`, disabled: true, title: m.status }))
  ];
}
