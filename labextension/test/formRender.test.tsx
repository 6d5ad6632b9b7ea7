/**
 * The form pieces rendered by react-jsonschema-form (the engine under
 * JupyterLab's FormComponent; here with rjsf's default templates, server
 * side): inputs named after the server's field paths, the guide's sections,
 * the algorithm union, key/value rows, pickers (an ACTIVE model inside list
 * items, frameworks with only the installed ones enabled, built-in
 * algorithms) and a server error under the field it names.
 */
import * as fs from 'fs';
import * as path from 'path';
import Form from '@rjsf/core';
import type { ErrorSchema } from '@rjsf/utils';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { ENDPOINT_FORM } from '../src/areas/endpoints/form';
import { MODEL_FORM } from '../src/areas/models/form';
import { TRAINING_FORM } from '../src/areas/trainings/form';
import { withItemDefaults } from '../src/shared/forms/body';
import { errorSchemaAt, errorTarget } from '../src/shared/forms/errors';
import { FIELDS } from '../src/shared/forms/fields';
import type { IFieldChoices, IFormContext } from '../src/shared/forms/formContext';
import type { IFormHints } from '../src/shared/forms/hints';
import { placeFields } from '../src/shared/forms/hints';
import { IOpenApiDocument, formSchema } from '../src/shared/forms/openapi';
import { buildUiSchema } from '../src/shared/forms/uiSchema';
import { WIDGETS } from '../src/shared/forms/widgets';
import { ENGLISH } from '../src/shared/i18n';

const file = process.env.EASYMAKER_OPENAPI || path.resolve(__dirname, 'fixtures/openapi.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as IOpenApiDocument;
const VALIDATOR = customizeValidator({ ajvOptionsOverrides: { discriminator: true } });

function render(
  hints: IFormHints,
  formData: Record<string, unknown>,
  options: { choices?: { [path: string]: IFieldChoices }; extraErrors?: ErrorSchema; before?: (section: string) => React.ReactNode } = {}
): string {
  const schema = formSchema(doc, hints.schema, hints.hidden);
  const choices = options.choices ?? {};
  const uiSchema = buildUiSchema(schema, hints, ENGLISH, { choices: new Set(Object.keys(choices)) });
  const sections = placeFields(hints, Object.keys(schema.properties ?? {}));
  const context: IFormContext = {
    trans: ENGLISH,
    version: 1,
    sections: () => sections,
    before: id => options.before?.(id) ?? null,
    choices: p => choices[p] ?? null,
    problems: new Map(),
    defaultFormData: {}
  };
  return renderToStaticMarkup(
    <Form
      schema={schema as never}
      uiSchema={uiSchema}
      formData={withItemDefaults(schema, formData)}
      formContext={context}
      validator={VALIDATOR}
      widgets={WIDGETS}
      fields={FIELDS}
      idPrefix="jp-EasyMaker-f1"
      extraErrors={options.extraErrors}
      noHtml5Validate
      showErrorList={false}
      experimental_defaultFormStateBehavior={{ arrayMinItems: { populate: 'never' } }}
    />
  );
}

/** The markup of the element whose `data-field` is `field`, up to its end marker. */
function part(html: string, field: string, end: string): string {
  const start = html.indexOf(`data-field="${field}"`);
  expect(start, `no data-field="${field}"`).toBeGreaterThanOrEqual(0);
  return html.slice(start, html.indexOf(end, start));
}

describe('a rendered create form', () => {
  it("names its inputs after the server's fields, in the guide's sections", () => {
    const html = render(TRAINING_FORM, { name: 'x', algorithm: { type: 'custom', entry_point: 'train.py' } }, {
      before: section => (section === 'basic' ? <select name="experiment" /> : null)
    });
    const legends = [...html.matchAll(/<legend[^>]*>([^<]*)</g)].map(m => m[1]);
    expect(legends.slice(0, 4)).toEqual(['Basic information', 'Algorithm information', 'Image', 'Training resource information']);
    expect(html.indexOf('name="experiment"')).toBeGreaterThan(html.indexOf('Basic information'));
    expect(html.indexOf('name="experiment"')).toBeLessThan(html.indexOf('name="name"'));
    expect(html).toMatch(/<input[^>]*name="algorithm\.entry_point"[^>]*value="train\.py"/);
    expect(html).toMatch(/<input[^>]*name="nodes"[^>]*type="number"[^>]*min="1"[^>]*max="64"/);
    expect(html).toMatch(/<textarea[^>]*name="description"/);
    expect(html).toMatch(/<input[^>]*type="checkbox"[^>]*name="use_torchrun"|<input[^>]*name="use_torchrun"[^>]*type="checkbox"/);
    // the hidden fields are not rendered
    expect(html).not.toContain('source_files');
    expect(html).not.toContain('name="experiment_id"');
  });

  it('draws the algorithm as own / built-in radios with the chosen variant and a picker of built-in algorithms', () => {
    const own = render(TRAINING_FORM, { algorithm: { type: 'custom' } });
    const radios = [...own.matchAll(/<input type="radio" name="algorithm\.type"([^>]*)>/g)].map(m => m[1]);
    expect(radios.map(r => [/value="(\w+)"/.exec(r)?.[1], r.includes('checked')])).toEqual([
      ['custom', true],
      ['builtin', false]
    ]);
    expect(own).toContain('Own algorithm');
    expect(own).toContain('name="algorithm.source_dir"');
    expect(own).not.toContain('name="algorithm.name"');
    const builtin = render(TRAINING_FORM, { algorithm: { type: 'builtin', name: 'sklearn-tabular' } }, {
      choices: {
        'algorithm.name': {
          empty: '(choose)',
          options: [{ value: 'sklearn-tabular', label: 'sklearn-tabular — Tabular', description: 'Gradient boosting on CSV' }]
        }
      }
    });
    expect(builtin).toMatch(/<select[^>]*name="algorithm\.name"/);
    expect(builtin).toMatch(/<option value="sklearn-tabular" selected="">sklearn-tabular — Tabular<\/option>/);
    expect(builtin).toContain('Gradient boosting on CSV');
    expect(builtin).not.toContain('name="algorithm.entry_point"');
  });

  it('shows key / value rows with an add button', () => {
    const html = render(TRAINING_FORM, { hyperparameters: { lr: '0.1', epochs: '3' } });
    const rows = part(html, 'hyperparameters', 'data-action="add-hyperparameters"');
    expect(rows).toMatch(/name="hyperparameters\.key\.0"[^>]*value="lr"/);
    expect(rows).toMatch(/name="hyperparameters\.value\.1"[^>]*value="3"/);
  });

  it('puts a server error under the field it names, inside its list item', () => {
    const data = { name: 'x', algorithm: { type: 'custom', entry_point: 'a.py' }, datasets: [{ name: 'a', path: '/x' }, { name: 'b', path: '/nope' }] };
    const schema = formSchema(doc, TRAINING_FORM.schema, TRAINING_FORM.hidden);
    const target = errorTarget(schema, data, 'datasets[1].path');
    const html = render(TRAINING_FORM, data, { extraErrors: errorSchemaAt(target, '/nope does not exist') });
    const item = part(html, 'datasets[1]', 'jp-EasyMaker-remove');
    expect(item).toContain('name="datasets[1].path"');
    expect(item).toMatch(/data-error-for="datasets\[1\]\.path"[^>]*>\/nope does not exist</);
    expect(part(html, 'datasets[0]', 'jp-EasyMaker-remove')).not.toContain('data-error-for');
    expect(html).toContain('data-action="add-datasets"');
  });

  it('picks an ACTIVE model inside the list items of an endpoint', () => {
    const models: IFieldChoices = {
      empty: '(choose)',
      options: [
        { value: 'm1', label: 'iris — scikit-learn' },
        { value: 'm2', label: 'bert — huggingface' }
      ]
    };
    // as the create command presets it: the items' defaults are filled in (withItemDefaults)
    const html = render(ENDPOINT_FORM, { name: 'ep', resources: [{ model: 'm2' }, {}] }, { choices: { 'resources[].model': models } });
    const first = part(html, 'resources[0]', 'jp-EasyMaker-remove');
    expect(first).toMatch(/<select[^>]*name="resources\[0\]\.model"/);
    expect(first).toMatch(/<option value="m2" selected="">bert — huggingface<\/option>/);
    const second = part(html, 'resources[1]', 'jp-EasyMaker-remove');
    expect(second).toMatch(/<select[^>]*name="resources\[1\]\.model"[^>]*><option value="" selected="">\(choose\)<\/option><option value="m1">/);
    expect(second).toMatch(/<input[^>]*name="resources\[1\]\.pod_count"[^>]*value="1"/);
  });

  it("offers a model's frameworks with only the installed ones enabled", () => {
    const frameworks: IFieldChoices = {
      empty: '(choose)',
      options: [
        { value: 'scikit-learn', label: 'scikit-learn' },
        { value: 'tensorflow', label: 'tensorflow (not installed)', disabled: true }
      ]
    };
    const html = render(MODEL_FORM, { name: 'm' }, { choices: { framework: frameworks } });
    expect(html).toMatch(/<select[^>]*name="framework"/);
    expect(html).toContain('<option value="scikit-learn">scikit-learn</option>');
    expect(html).toContain('<option value="tensorflow" disabled="">tensorflow (not installed)</option>');
    // a value the list does not know (a copied model's) stays visible
    const copied = render(MODEL_FORM, { name: 'm', framework: 'onnx' }, { choices: { framework: frameworks } });
    expect(copied).toContain('<option value="onnx" selected="">onnx</option>');
  });
});
