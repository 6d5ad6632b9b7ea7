/** The ACTIVE-model picker of other areas' create forms (batch inference, evaluation, endpoint resources). */
import type { IHasApi } from '../../shared/api';
import type { IChoice } from '../../shared/forms/formKinds';
import { modelsApi } from './api';

/** The ACTIVE models, newest first, as choices of a form field that names a model. */
export async function activeModelChoices(ctx: IHasApi): Promise<IChoice[]> {
  const page = await modelsApi(ctx).list({ limit: 1000, sort: '-created_at', status: ['ACTIVE'] });
  return page.items.map(m => ({ value: m.id, label: `${m.name} — ${m.framework}` }));
}
