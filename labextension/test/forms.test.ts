/**
 * The create forms' pieces over the server's OpenAPI document: the
 * document is the live one when EASYMAKER_OPENAPI names a file (the pytest
 * wrapper writes it from the current server code), else the snapshot in
 * fixtures/. OpenAPI -> the form's JSON schema ($refs, optional fields,
 * unions), the guide's sections and labels as uiSchema, bodies <-> form
 * data, the server's field errors placed under their inputs, and the
 * browser-side checks in the guide's words.
 */
import * as fs from 'fs';
import * as path from 'path';
import { customizeValidator } from '@rjsf/validator-ajv8';
import { describe, expect, it } from 'vitest';

import { TUNING_FORM } from '../src/areas/tuning/form';
import { TRAINING_FORM } from '../src/areas/trainings/form';
import { ENDPOINT_FORM } from '../src/areas/endpoints/form';
import { bodyFromFormData, formDataFromBody, withItemDefaults } from '../src/shared/forms/body';
import { addProblems, errorSchemaAt, errorTarget, stripFieldPrefix, translateErrors } from '../src/shared/forms/errors';
import { rowProblem } from '../src/shared/forms/fields';
import { placeFields } from '../src/shared/forms/hints';
import { IJsonSchema, IOpenApiDocument, formSchema, isMap, unionOf } from '../src/shared/forms/openapi';
import { concretePath, genericPath, parsePath } from '../src/shared/forms/paths';
import { ErrorTemplate, HiddenTemplate, ListTemplate, SectionsTemplate } from '../src/shared/forms/templates';
import { buildUiSchema } from '../src/shared/forms/uiSchema';
import { ENGLISH, ITrans } from '../src/shared/i18n';

const file = process.env.EASYMAKER_OPENAPI || path.resolve(__dirname, 'fixtures/openapi.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as IOpenApiDocument;

/** Translations that show they were applied. */
const T: ITrans = { language: 'xx', __: (msg: string, ...args: unknown[]) => `T:${ENGLISH.__(msg, ...args)}` };

const VALIDATOR = customizeValidator({ ajvOptionsOverrides: { discriminator: true } });

type Data = Record<string, unknown>;

describe('OpenAPI -> the form schema', () => {
  const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
  const props = schema.properties!;

  it('inlines every $ref', () => {
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(Object.keys(props.datasets.items!.properties!)).toEqual(['name', 'path']);
    expect(props.datasets.items!.required).toEqual(['name', 'path']);
    expect(props.datasets.items!.properties!.name).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,50}$', maxLength: 50 });
  });

  it('turns Optional[X] into X, without null defaults', () => {
    expect(props.max_run_seconds).toMatchObject({ type: 'integer', minimum: 1 });
    expect(props.max_run_seconds.anyOf).toBeUndefined();
    expect('default' in props.max_run_seconds).toBe(false);
    expect(props.backend).toMatchObject({ type: 'string', enum: ['local', 'kubernetes'] });
    expect(props.nodes).toMatchObject({ type: 'integer', minimum: 1, maximum: 64, default: 1 });
    expect(schema.required).toEqual(['algorithm', 'name']);
  });

  it('keeps the algorithm union with its tag required in every variant, without the OpenAPI mapping', () => {
    const union = unionOf(props.algorithm)!;
    expect(union.tag).toBe('type');
    expect(union.variants.map(v => v.value)).toEqual(['custom', 'builtin']);
    expect(Object.keys(union.variants[0].schema.properties!)).toEqual(['type', 'source_dir', 'entry_point', 'source_files']);
    for (const v of union.variants) {
      expect(v.schema.required).toContain('type');
    }
    expect(props.algorithm.discriminator).toEqual({ propertyName: 'type' });
  });

  it('makes unions of scalars text, maps of them maps of text', () => {
    expect(isMap(props.hyperparameters)).toBe(true);
    expect(props.hyperparameters.additionalProperties).toMatchObject({ type: 'string' });
    const tuning = formSchema(doc, 'HyperparameterTuningCreate');
    expect(tuning.properties!.parameters.items!.properties!.values).toMatchObject({ type: 'string' });
    const resource = formSchema(doc, 'StageResourceCreate');
    expect(resource.properties!.memory.type).toBe('string');
  });

  it('leaves out the hidden top-level fields and additionalProperties: false', () => {
    for (const hidden of ['experiment_id', 'experiment_name', 'template_id']) {
      expect(props[hidden]).toBeUndefined();
    }
    expect(JSON.stringify(schema)).not.toContain('"additionalProperties":false');
  });

  it('stops at a cycle and names a missing schema', () => {
    const cyclic: IOpenApiDocument = {
      openapi: '3.1.0',
      components: { schemas: { Node: { type: 'object', properties: { child: { $ref: '#/components/schemas/Node' } } } } }
    };
    expect(formSchema(cyclic, 'Node').properties!.child).toEqual({ type: 'object' });
    expect(() => formSchema(doc, 'Nope')).toThrow(/no schema Nope/);
  });
});

describe("the guide's layout as uiSchema", () => {
  const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
  const ui = buildUiSchema(schema, TRAINING_FORM, T, { choices: new Set(['algorithm.name', 'instance_type']) }) as Data;
  const sub = (...keys: string[]) => keys.reduce((n: Data, k) => n[k] as Data, ui);

  it('places every field in a section of the guide', () => {
    const names = Object.keys(schema.properties!);
    const sections = placeFields(TRAINING_FORM, names);
    expect(sections.flatMap(s => s.fields).sort()).toEqual([...names].sort());
    expect(sections[0]).toMatchObject({ id: 'basic', fields: ['name', 'description'] });
    expect(ui['ui:ObjectFieldTemplate']).toBe(SectionsTemplate);
    expect((ui['ui:globalOptions'] as Data).FieldErrorTemplate).toBe(ErrorTemplate);
  });

  it("labels fields with the guide's words, marks required ones and writes help into the schema", () => {
    expect(sub('name')['ui:title']).toBe('T:Training name *');
    expect(sub('description')['ui:title']).toBe('T:Training description');
    expect(sub('description')['ui:widget']).toBe('textarea');
    expect(sub('algorithm', 'entry_point')['ui:title']).toBe('T:Entry point *');
    expect(schema.properties!.name.description).toBe('T:Use 1-50 letters, digits, - or _');
    expect(sub('nodes')['ui:options']).toEqual({ path: 'nodes' });
  });

  it('draws the algorithm union, the hyperparameter map and the dataset list with their own parts', () => {
    const algorithm = sub('algorithm');
    expect(algorithm['ui:field']).toBe('union');
    expect(algorithm['ui:fieldReplacesAnyOrOneOf']).toBe(true);
    const options = algorithm['ui:options'] as { tag: string; variants: { value: string; label: string }[] };
    expect(options.tag).toBe('type');
    expect(options.variants.map(v => [v.value, v.label])).toEqual([
      ['custom', 'T:Own algorithm'],
      ['builtin', 'T:Built-in algorithm']
    ]);
    expect(sub('algorithm', 'source_files')['ui:FieldTemplate']).toBe(HiddenTemplate);
    expect(sub('algorithm', 'name')['ui:widget']).toBe('choices');
    expect(sub('hyperparameters')['ui:field']).toBe('keyValue');
    expect(sub('datasets')['ui:ArrayFieldTemplate']).toBe(ListTemplate);
    expect(sub('datasets', 'items', 'path')['ui:options']).toEqual({ path: 'datasets[].path' });
    expect(sub('instance_type')['ui:widget']).toBe('choices');
  });

  it('makes a model field inside list items a picker', () => {
    const endpoint = formSchema(doc, 'EndpointCreate', ENDPOINT_FORM.hidden);
    const eui = buildUiSchema(endpoint, ENDPOINT_FORM, T, { choices: new Set(['resources[].model']) }) as Data;
    const model = ((eui.resources as Data).items as Data).model as Data;
    expect(model['ui:widget']).toBe('choices');
    expect(model['ui:title']).toBe('T:Model *');
  });
});

describe('bodies <-> form data', () => {
  const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);

  it('sends what was filled in, leaves out empty optional lists, maps and texts', () => {
    const body = bodyFromFormData(schema, {
      name: 'my-training',
      description: '',
      algorithm: { type: 'custom', source_dir: '/data/algo', entry_point: 'train.py' },
      hyperparameters: { lr: '0.1', ' ': '' },
      datasets: [{ name: 'train', path: '/data/train' }],
      max_run_seconds: 600,
      nodes: 1,
      use_torchrun: false,
      checkpoint_path: '',
      image: ''
    });
    expect(body).toEqual({
      name: 'my-training',
      description: '',
      algorithm: { type: 'custom', source_dir: '/data/algo', entry_point: 'train.py' },
      hyperparameters: { lr: '0.1' },
      datasets: [{ name: 'train', path: '/data/train' }],
      max_run_seconds: 600,
      nodes: 1,
      use_torchrun: false,
      image: ''
    });
    const empty = bodyFromFormData(schema, { name: 'n', algorithm: { type: 'builtin', name: 'sklearn-tabular' }, datasets: [], hyperparameters: {} });
    expect(empty).toEqual({ name: 'n', algorithm: { type: 'builtin', name: 'sklearn-tabular' } });
  });

  it("fills a form from a copied body: the schema's fields, the chosen variant, values as the form edits them", () => {
    const data = formDataFromBody(schema, {
      name: 'src-copy',
      experiment_id: 'e1',
      unknown_field: 1,
      checkpoint_path: null,
      algorithm: { type: 'custom', source_dir: '/a', entry_point: 'train.py', source_files: { 'train.py': 'print(1)' } },
      hyperparameters: { steps: 12, fast: true, lr: '0.1' },
      datasets: [{ name: 'train', path: '/d' }]
    }) as Data;
    expect(data).toEqual({
      name: 'src-copy',
      algorithm: { type: 'custom', source_dir: '/a', entry_point: 'train.py', source_files: { 'train.py': 'print(1)' } },
      hyperparameters: { steps: '12', fast: 'true', lr: '0.1' },
      datasets: [{ name: 'train', path: '/d' }]
    });
    // the copied inline sources travel back unchanged
    expect(bodyFromFormData(schema, data).algorithm).toEqual(data.algorithm);
    const tuning = formSchema(doc, 'HyperparameterTuningCreate', TUNING_FORM.hidden);
    const copied = formDataFromBody(tuning, { parameters: [{ name: 'opt', type: 'categorical', values: ['sgd', 'adam'] }] }) as Data;
    expect(copied.parameters).toEqual([{ name: 'opt', type: 'categorical', values: 'sgd,adam' }]);
  });
});

describe('list items from a preset or a copy', () => {
  it('get the defaults of their fields, as an item added with the add button', () => {
    const endpoint = formSchema(doc, 'EndpointCreate', ENDPOINT_FORM.hidden);
    const data = withItemDefaults(endpoint, { name: 'ep', resources: [{}, { model: 'm', pod_count: 3 }] }) as { resources: Data[] };
    expect(data.resources[0]).toMatchObject({ pod_count: 1, pod_autoscaler: { enabled: false, metric: 'cpu', threshold: 80 } });
    expect(data.resources[0].model).toBeUndefined();
    expect(data.resources[1]).toMatchObject({ model: 'm', pod_count: 3 });
  });
});

describe("the server's field errors", () => {
  const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
  const hidden = new Set(TRAINING_FORM.hidden);
  const shown = (generic: string) => !hidden.has(generic);
  const data = { name: 'x', algorithm: { type: 'custom', entry_point: 'a.py' }, datasets: [{ name: 'a', path: '/x' }, { name: 'b', path: '/y' }] };
  const pickers = ['experiment_id', 'experiment_name', 'template_id'];

  it('go under the input they name, or its nearest shown ancestor, or on top of the form', () => {
    expect(errorTarget(schema, data, 'datasets[1].path', shown)).toBe('datasets[1].path');
    expect(errorTarget(schema, data, 'datasets[3].path', shown)).toBe('datasets');
    expect(errorTarget(schema, data, 'algorithm.entry_point', shown)).toBe('algorithm.entry_point');
    expect(errorTarget(schema, data, 'algorithm.name', shown)).toBe('algorithm'); // not a field of the own algorithm
    expect(errorTarget(schema, { ...data, algorithm: { type: 'builtin', name: 'x' } }, 'algorithm.name', shown)).toBe('algorithm.name');
    expect(errorTarget(schema, data, 'algorithm.source_files', shown)).toBe('algorithm');
    expect(errorTarget(schema, data, 'hyperparameters.lr', shown)).toBe('hyperparameters');
    expect(errorTarget(schema, data, 'experiment_name', shown, pickers)).toBe('experiment_name');
    expect(errorTarget(schema, data, 'body', shown)).toBe('');
    expect(errorTarget(schema, data, null, shown)).toBe('');
    const tuning = formSchema(doc, 'HyperparameterTuningCreate', TUNING_FORM.hidden);
    expect(errorTarget(tuning, { parameters: [{ name: 'sleep', type: 'double' }] }, 'parameters[0].max')).toBe('parameters[0].max');
  });

  it('become rjsf error schemas, without the field name the message repeats', () => {
    const errors = errorSchemaAt('datasets[1].path', 'no such directory');
    expect(errors).toEqual({ datasets: { 1: { path: { __errors: ['no such directory'] } } } });
    expect(stripFieldPrefix("algorithm.entry_point: 'x.py' is not in the algorithm path", 'algorithm.entry_point')).toBe(
      "'x.py' is not in the algorithm path"
    );
  });
});

describe("the browser's checks of the schema", () => {
  const check = (schema: IJsonSchema, data: Data) => {
    const { errors } = VALIDATOR.validateFormData(data as never, schema as never, undefined, errors => translateErrors(errors, ENGLISH));
    return Object.fromEntries(errors.map(e => [(e.property ?? '').replace(/^\./, ''), e.message]));
  };

  it("say what is wrong in the guide's words", () => {
    const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
    const errors = check(schema, { name: 'bad name!', nodes: 0, algorithm: { type: 'custom' }, datasets: [{ path: '/x' }] });
    expect(errors).toEqual({
      name: 'Use 1-50 letters, digits, - or _',
      nodes: 'Must be at least 1',
      'algorithm.entry_point': 'Required',
      'datasets.0.name': 'Required'
    });
  });

  it('check only the chosen algorithm variant', () => {
    const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
    expect(check(schema, { name: 'ok', algorithm: { type: 'builtin' } })).toEqual({ 'algorithm.name': 'Required' });
    expect(check(schema, { name: 'ok', algorithm: { type: 'custom', entry_point: 'a.py' } })).toEqual({});
  });

  it('check limits inside list items', () => {
    const schema = formSchema(doc, 'EndpointCreate', ENDPOINT_FORM.hidden);
    const resources = Array.from({ length: 21 }, () => ({ model: 'm', cpu: 0 }));
    const errors = check(schema, { name: 'ep', resources });
    expect(errors.resources).toBe('At most 20 items');
    expect(errors['resources.0.cpu']).toBe('Must be more than 0');
    expect(check(schema, { name: 'ep', resources: [] }).resources).toBe('At least 1 items');
  });
});

describe('key / value rows', () => {
  it('block the submit on a repeated key or a value without a key, under the map', () => {
    expect(rowProblem([{ key: 'a', value: '1' }, { key: 'a ', value: '2' }], { trans: ENGLISH })).toBe('Keys must be unique');
    expect(rowProblem([{ key: ' ', value: '2' }], { trans: ENGLISH })).toBe('Every value needs a key');
    expect(rowProblem([{ key: '', value: '' }, { key: 'b', value: '' }], { trans: ENGLISH })).toBeNull();
    const schema = formSchema(doc, 'TrainingCreate', TRAINING_FORM.hidden);
    const problems = new Map([['hyperparameters', 'Keys must be unique']]);
    for (const data of [{ name: 'n', algorithm: { type: 'builtin', name: 'x' }, hyperparameters: { a: '1' } }, { name: 'n', algorithm: { type: 'builtin', name: 'x' } }]) {
      const { errorSchema } = VALIDATOR.validateFormData(data as never, schema as never, (_d, errors) => addProblems(errors as never, problems) as never);
      expect(((errorSchema as Data).hyperparameters as Data).__errors).toEqual(['Keys must be unique']);
    }
  });
});

describe('paths', () => {
  it("read the server's notation and the form's ids", () => {
    expect(parsePath('datasets[0].path')).toEqual(['datasets', 0, 'path']);
    expect(genericPath('datasets[12].path')).toBe('datasets[].path');
    expect(concretePath('datasets[].path', 'jp-EasyMaker-f3_datasets_12_path')).toBe('datasets[12].path');
    expect(concretePath('algorithm.entry_point', 'jp-EasyMaker-f3_algorithm_entry_point')).toBe('algorithm.entry_point');
    expect(concretePath('resources[].pod_autoscaler.min_pods', 'jp-EasyMaker-f1_resources_0_pod_autoscaler_min_pods')).toBe(
      'resources[0].pod_autoscaler.min_pods'
    );
  });
});
