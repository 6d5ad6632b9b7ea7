/** What the create forms of trainings and tunings add to the generated fields. */
import type { IFormKind } from '../../shared/forms/formKinds';

/** Experiment (existing or new) and training-template pickers. */
export const TRAINING_FORM_ADDONS: Partial<IFormKind> = { experimentPickers: true };
