/**
 * Forms generated from the server's OpenAPI document. The document is the
 * live one when EASYMAKER_OPENAPI names a file (the pytest wrapper writes
 * it from the current server code), else the snapshot in fixtures/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';

import type { IOpenApiDocument } from '../src/shared/api/meta';
import { TRAINING_FORM } from '../src/areas/trainings/form';
import { placeFields } from '../src/shared/forms/hints';
import {
  bodyFromValues,
  errorTarget,
  fieldsOf,
  genericPath,
  getAt,
  initialValues,
  parsePath,
  setAt,
  shownPaths,
  stripFieldPrefix,
  validate,
  valuesFromBody
} from '../src/shared/forms/schemaForm';

const file = process.env.EASYMAKER_OPENAPI || path.resolve(__dirname, 'fixtures/openapi.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as IOpenApiDocument;

describe('fields from TrainingCreate', () => {
  const fields = fieldsOf(doc, 'TrainingCreate');
  const byName = Object.fromEntries(fields.map(f => [f.name, f]));

  it('knows types, limits and required fields', () => {
    expect(byName.name).toMatchObject({ kind: 'string', required: true, maxLength: 50, pattern: '^[A-Za-z0-9_-]{1,50}$' });
    expect(byName.nodes).toMatchObject({ kind: 'integer', minimum: 1, maximum: 64, default: 1 });
    expect(byName.max_run_seconds).toMatchObject({ kind: 'integer', nullable: true, minimum: 1 });
    expect(byName.use_torchrun.kind).toBe('boolean');
    expect(byName.backend).toMatchObject({ kind: 'enum', options: ['local', 'kubernetes'], nullable: true });
    expect(byName.hyperparameters.kind).toBe('map');
    expect(byName.datasets.kind).toBe('array');
    expect(byName.datasets.item?.fields?.map(f => f.name)).toEqual(['name', 'path']);
  });

  it('models the algorithm as a custom/builtin union', () => {
    const algorithm = byName.algorithm;
    expect(algorithm.kind).toBe('union');
    expect(algorithm.discriminator).toBe('type');
    expect(algorithm.variants?.map(v => v.tag)).toEqual(['custom', 'builtin']);
    expect(algorithm.variants?.[0].fields.map(f => f.name)).toContain('entry_point');
    expect(algorithm.variants?.[1].fields.map(f => f.name)).toEqual(['name']);
  });

  it('turns form values into a create body and back', () => {
    let values = initialValues(fields);
    values = setAt(values, 'name', 'my-training');
    values = setAt(values, 'algorithm.source_dir', '/data/algo');
    values = setAt(values, 'algorithm.entry_point', 'train.py');
    values = setAt(values, 'hyperparameters', [{ key: 'lr', value: '0.1' }, { key: ' ', value: '' }]);
    values = setAt(values, 'datasets', [{ name: 'train', path: '/data/train' }]);
    values = setAt(values, 'max_run_seconds', '600');
    const body = bodyFromValues(fields, values);
    expect(body).toMatchObject({
      name: 'my-training',
      algorithm: { type: 'custom', source_dir: '/data/algo', entry_point: 'train.py' },
      hyperparameters: { lr: '0.1' },
      datasets: [{ name: 'train', path: '/data/train' }],
      max_run_seconds: 600,
      nodes: 1,
      use_torchrun: false
    });
    expect(body).not.toHaveProperty('checkpoint_path');
    expect(body).not.toHaveProperty('backend');
    const again = valuesFromBody(fields, body);
    expect(getAt(again, 'hyperparameters')).toEqual([{ key: 'lr', value: '0.1' }]);
    expect(getAt(again, 'algorithm.entry_point')).toBe('train.py');
    expect(bodyFromValues(fields, again)).toEqual(body);
  });

  it('keeps only the chosen variant of the algorithm', () => {
    let values = initialValues(fields);
    values = setAt(values, 'algorithm', { type: 'builtin', name: 'sklearn-tabular' });
    expect(bodyFromValues(fields, values).algorithm).toEqual({ type: 'builtin', name: 'sklearn-tabular' });
  });

  it('checks values the way the schema says', () => {
    let values = initialValues(fields);
    values = setAt(values, 'name', 'bad name!');
    values = setAt(values, 'nodes', '0');
    values = setAt(values, 'datasets', [{ name: '', path: '/x' }]);
    values = setAt(values, 'hyperparameters', [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    const errors = validate(fields, values);
    expect(errors.name).toBe('Use 1-50 letters, digits, - or _');
    expect(errors.nodes).toBe('Must be at least 1');
    expect(errors['algorithm.entry_point']).toBe('Required');
    expect(errors['datasets[0].name']).toBe('Required');
    expect(errors.hyperparameters).toBe('Keys must be unique');
    expect(errors).not.toHaveProperty('max_run_seconds');
  });

  it('places a server error under the input it names', () => {
    let values = initialValues(fields);
    values = setAt(values, 'datasets', [{ name: 'a', path: '/x' }]);
    const shown = shownPaths(fields, values);
    expect(errorTarget('datasets[0].path', shown)).toBe('datasets[0].path');
    expect(errorTarget('algorithm.entry_point', shown)).toBe('algorithm.entry_point');
    expect(errorTarget('algorithm', shown)).toBe('algorithm');
    expect(errorTarget('datasets[3].path', shown)).toBe('datasets');
    expect(errorTarget('body', shown)).toBe('');
    expect(errorTarget(null, shown)).toBe('');
    expect(stripFieldPrefix("algorithm.entry_point: 'x.py' is not in the algorithm path", 'algorithm.entry_point')).toBe(
      "'x.py' is not in the algorithm path"
    );
  });

  it('places every field in a section of the guide', () => {
    const hidden = new Set(TRAINING_FORM.hidden);
    const visible = fields.filter(f => !hidden.has(f.name)).map(f => f.name);
    const sections = placeFields(TRAINING_FORM, visible);
    expect(sections.flatMap(s => s.fields).sort()).toEqual([...visible].sort());
    expect(sections[0].fields).toEqual(['name', 'description']);
  });
});

describe('paths', () => {
  it('parses and rewrites dotted paths', () => {
    expect(parsePath('datasets[0].path')).toEqual(['datasets', 0, 'path']);
    expect(genericPath('datasets[12].path')).toBe('datasets[].path');
    const v = setAt({ a: [{ b: 1 }] } as Record<string, unknown>, 'a[0].b', 2);
    expect(getAt(v, 'a[0].b')).toBe(2);
  });

  it('builds the experiment form too', () => {
    const fields = fieldsOf(doc, 'ExperimentCreate');
    expect(fields.map(f => f.name)).toEqual(['name', 'description']);
    expect(() => fieldsOf(doc, 'Nope')).toThrow(/no schema Nope/);
  });
});
