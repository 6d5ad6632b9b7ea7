import { describe, expect, it } from 'vitest';

import { AREAS, canonicalArea, visibleAreas } from '../src/state/areas';
import { judgeHandshake, judgeHandshakeError } from '../src/state/handshake';

describe('areas', () => {
  it('lists the areas in the order of the console guide', () => {
    expect(AREAS.map(a => a.label)).toEqual([
      'Dashboard',
      'Experiments',
      'Trainings',
      'Hyperparameter tuning',
      'Templates',
      'Models',
      'Model evaluation',
      'Endpoints',
      'Batch inference',
      'Pipelines',
      'RAG',
      'LLM studio',
      'Images'
    ]);
  });

  it('shows only areas the server offers and that have a panel', () => {
    const panels = new Set(['dashboard', 'experiments', 'trainings', 'training-templates', 'models']);
    const shown = visibleAreas(['trainings', 'experiments', 'training-templates', 'dashboard', 'endpoints'], a => panels.has(a));
    expect(shown.map(a => a.id)).toEqual(['dashboard', 'experiments', 'trainings', 'training-templates']);
    expect(visibleAreas(['models'], a => panels.has(a)).map(a => a.id)).toEqual(['models']);
    expect(visibleAreas(['templates'], a => panels.has(a)).map(a => a.id)).toEqual(['training-templates']);
    expect(canonicalArea('model-evaluation')).toBe('model-evaluations');
    expect(canonicalArea('batch-inference')).toBe('batch-inferences');
    expect(visibleAreas(undefined, () => true)).toEqual([]);
    expect(visibleAreas(['hyperparameter-tuning'], a => a === 'hyperparameter-tuning').map(a => a.id)).toEqual(['hyperparameter-tuning']);
    expect(canonicalArea('templates')).toBe('training-templates');
    expect(canonicalArea('hpo')).toBe('hyperparameter-tuning');
    expect(canonicalArea('something-new')).toBe('something-new');
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
