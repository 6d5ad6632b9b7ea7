import { describe, expect, it } from 'vitest';

import type { ITrial, ITrialSeries, ITuningMetrics } from '../src/areas/tuning/api';
import { intermediateData, makeAxis, objectiveData, parallelData, sortTrials } from '../src/areas/tuning/chartData';

function series(number: number, objective: number | null, parameters: { [k: string]: unknown }, steps: number[] = [], values: number[] = []): ITrialSeries {
  return { trial_id: `t${number}`, number, status: objective === null ? 'RUNNING' : 'SUCCEEDED', parameters, objective_value: objective, steps, values };
}

describe('objective over trials', () => {
  it('keeps finished trials by number with the running best of a minimised goal', () => {
    const data = objectiveData([series(2, 0.5, {}), series(0, 1.0, {}), series(1, 2.0, {}), series(3, null, {}), series(4, 0.7, {})], 'minimize');
    expect(data.points.map(p => p.number)).toEqual([0, 1, 2, 4]);
    expect(data.best).toEqual([1.0, 1.0, 0.5, 0.5]);
    expect(data.bestNumber).toEqual([0, 0, 2, 2]);
  });

  it('takes the largest as best when maximising', () => {
    const data = objectiveData([series(0, 0.2, {}), series(1, 0.9, {}), series(2, 0.5, {})], 'maximize');
    expect(data.best).toEqual([0.2, 0.9, 0.9]);
  });
});

describe('axes', () => {
  it('places log parameters by decade', () => {
    const axis = makeAxis('lr', { name: 'lr', type: 'double', min: 1e-4, max: 1e-1, log: true }, [1e-3]);
    expect(axis.kind).toBe('log');
    expect(axis.position(1e-4)).toBeCloseTo(0);
    expect(axis.position(1e-3)).toBeCloseTo(1 / 3);
    expect(axis.position(1e-1)).toBeCloseTo(1);
    expect(axis.ticks.map(t => t.value)).toEqual(['1.00e-4', '0.001', '0.01', '0.1']);
  });

  it('spaces categories evenly in the spec order, values seen later appended', () => {
    const axis = makeAxis('opt', { name: 'opt', type: 'categorical', values: ['sgd', 'adam', 'rmsprop'] }, ['adam', 'lamb']);
    expect(axis.kind).toBe('categorical');
    expect(axis.categories).toEqual(['sgd', 'adam', 'rmsprop', 'lamb']);
    expect([axis.position('sgd'), axis.position('adam'), axis.position('lamb'), axis.position('nope')]).toEqual([0, 1 / 3, 1, null]);
  });

  it('is linear over the spec range widened to what was seen; a single value sits in the middle', () => {
    const axis = makeAxis('x', { name: 'x', type: 'int', min: 0, max: 10 }, [12]);
    expect(axis.kind).toBe('linear');
    expect([axis.min, axis.max, axis.position(6)]).toEqual([0, 12, 0.5]);
    expect(makeAxis('loss', undefined, [3, 3]).position(3)).toBe(0.5);
  });
});

describe('parallel coordinates', () => {
  const metrics: ITuningMetrics = {
    tuning_id: 'h',
    objective_metric: 'loss',
    goal: 'minimize',
    parameters: [
      { name: 'lr', type: 'double', min: 0.001, max: 0.1, log: true },
      { name: 'opt', type: 'categorical', values: ['sgd', 'adam'] }
    ],
    best_trial_id: 't1',
    trials: [series(0, 4, { lr: 0.001, opt: 'sgd' }), series(1, 1, { lr: 0.01, opt: 'adam' }), series(2, null, { lr: 0.1, opt: 'sgd' }), series(3, null, {})]
  };

  it('has an axis per parameter and the objective, a line per trial with parameters, the best drawn last', () => {
    const { axes, lines } = parallelData(metrics);
    expect(axes.map(a => [a.name, a.kind])).toEqual([
      ['lr', 'log'],
      ['opt', 'categorical'],
      ['loss', 'linear']
    ]);
    expect(lines.map(l => l.number)).toEqual([2, 0, 1]);
    const best = lines[2];
    expect(best.best).toBe(true);
    expect(best.positions[0]).toBeCloseTo(0.5);
    expect(best.positions.slice(1)).toEqual([1, 0]);
    // lower loss is better: the best has quality 1, the worst 0, a running one none
    expect([best.quality, lines[1].quality, lines[0].quality]).toEqual([1, 0, null]);
    expect(lines[0].positions[2]).toBeNull();
  });
});

describe('intermediate values', () => {
  it('aligns every trial on the union of steps', () => {
    const { x, series: s } = intermediateData([series(0, 1, {}, [1, 2], [3, 2]), series(1, 1, {}, [2, 3], [5, 4]), series(2, null, {})]);
    expect(x).toEqual([1, 2, 3]);
    expect(s.map(v => v.values)).toEqual([
      [3, 2, null],
      [null, 5, 4]
    ]);
  });
});

describe('trial table order', () => {
  const trial = (number: number, objective: number | null, elapsed: number | null = null): ITrial =>
    ({ id: `t${number}`, number, objective_value: objective, elapsed_seconds: elapsed, status: 'SUCCEEDED', parameters: {} }) as unknown as ITrial;
  const trials = [trial(0, 3, 5), trial(1, null, 1), trial(2, 1), trial(3, 2, 9)];

  it('sorts by objective either way with the trials without one last', () => {
    expect(sortTrials(trials, 'objective', false).map(t => t.number)).toEqual([2, 3, 0, 1]);
    expect(sortTrials(trials, 'objective', true).map(t => t.number)).toEqual([0, 3, 2, 1]);
    expect(sortTrials(trials, 'number', true).map(t => t.number)).toEqual([3, 2, 1, 0]);
    expect(sortTrials(trials, 'elapsed', false).map(t => t.number)).toEqual([1, 0, 3, 2]);
  });
});
