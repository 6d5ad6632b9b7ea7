import { describe, expect, it } from 'vitest';

import { IAreaInfo, canonicalArea, offered, visibleAreas } from '../src/shared/state/areas';
import { judgeHandshake, judgeHandshakeError } from '../src/shared/state/handshake';

/** Areas as the one list (areas/index.ts) describes them, in the guide's order. */
const AREAS: IAreaInfo[] = [
  { id: 'dashboard', label: 'Dashboard' },
  { id: 'experiments', label: 'Experiments' },
  { id: 'trainings', label: 'Trainings' },
  { id: 'hyperparameter-tuning', label: 'Hyperparameter tuning', aliases: ['hyperparameter-tunings', 'hpo'] },
  { id: 'training-templates', label: 'Templates', aliases: ['templates'] },
  { id: 'models', label: 'Models' },
  { id: 'model-evaluations', label: 'Model evaluation', aliases: ['model-evaluation'] },
  { id: 'batch-inferences', label: 'Batch inference', aliases: ['batch-inference'] },
  { id: 'tensorboard' }
];

describe('areas', () => {
  it('shows only areas the server offers and that have a panel, in the list order', () => {
    const panels = new Set(['dashboard', 'experiments', 'trainings', 'training-templates', 'models', 'tensorboard']);
    const has = (a: string) => panels.has(a);
    const shown = visibleAreas(AREAS, ['trainings', 'experiments', 'training-templates', 'dashboard', 'endpoints', 'tensorboard'], has);
    expect(shown.map(a => a.id)).toEqual(['dashboard', 'experiments', 'trainings', 'training-templates']);
    expect(visibleAreas(AREAS, ['models'], has).map(a => a.id)).toEqual(['models']);
    expect(visibleAreas(AREAS, ['templates'], has).map(a => a.id)).toEqual(['training-templates']);
    expect(visibleAreas(AREAS, undefined, () => true)).toEqual([]);
    expect(visibleAreas(AREAS, ['hpo'], a => a === 'hyperparameter-tuning').map(a => a.id)).toEqual(['hyperparameter-tuning']);
  });

  it('maps aliases to the area id', () => {
    expect(canonicalArea(AREAS, 'model-evaluation')).toBe('model-evaluations');
    expect(canonicalArea(AREAS, 'batch-inference')).toBe('batch-inferences');
    expect(canonicalArea(AREAS, 'templates')).toBe('training-templates');
    expect(canonicalArea(AREAS, 'hpo')).toBe('hyperparameter-tuning');
    expect(canonicalArea(AREAS, 'something-new')).toBe('something-new');
    expect(offered(AREAS, ['model-evaluation'], 'model-evaluations')).toBe(true);
    expect(offered(AREAS, ['model-evaluations'], 'model-evaluation')).toBe(true);
    expect(offered(AREAS, ['trainings'], 'models')).toBe(false);
    expect(offered(AREAS, ['something-new'], 'something-new')).toBe(true);
  });
});

describe('handshake', () => {
  it('accepts the same version and reports a mismatch', () => {
    expect(judgeHandshake({ version: '0.1.0', capabilities: {} }, '0.1.0').kind).toBe('ok');
    const m = judgeHandshake({ version: '0.2.0', capabilities: {} }, '0.1.0');
    expect(m).toMatchObject({ kind: 'mismatch', server: '0.2.0', client: '0.1.0' });
  });

  it('tells a missing server extension from other errors', () => {
    expect(judgeHandshakeError(404, 'Not Found').kind).toBe('missing');
    expect(judgeHandshakeError(null, 'network')).toEqual({ kind: 'error', message: 'network' });
  });
});
