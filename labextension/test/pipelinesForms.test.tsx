/**
 * The run and schedule forms of the pipelines areas: their own controls
 * (pipeline, experiment, run parameters typed from the pipeline's inputs,
 * the trigger with its cron hint) rendered and checked as the form does
 * before sending, and the generated fields of the server's schemas laid out
 * in the guide's sections with the controls' fields left out.
 */
import * as fs from 'fs';
import * as path from 'path';
import Form from '@rjsf/core';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import type { IPipeline } from '../src/areas/pipelines/api';
import { PIPELINE_RUN_FORM } from '../src/areas/pipelines/form';
import { RunFormAddon } from '../src/areas/pipelines/formAddons';
import { PIPELINE_SCHEDULE_FORM } from '../src/areas/pipelineSchedules/form';
import { ScheduleFormAddon } from '../src/areas/pipelineSchedules/triggerAddon';
import type { EasyMakerContext } from '../src/shared/context';
import { FIELDS } from '../src/shared/forms/fields';
import type { IFormContext } from '../src/shared/forms/formContext';
import type { IFormHost } from '../src/shared/forms/formKinds';
import { IFormHints, placeFields } from '../src/shared/forms/hints';
import { IOpenApiDocument, formSchema } from '../src/shared/forms/openapi';
import { buildUiSchema } from '../src/shared/forms/uiSchema';
import { WIDGETS } from '../src/shared/forms/widgets';
import { ENGLISH } from '../src/shared/i18n';

function pipeline(name: string, inputs: IPipeline['inputs'], status = 'ACTIVE'): IPipeline {
  return {
    id: `id-${name}`,
    name,
    description: '',
    status,
    status_reason: '',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    filename: `${name}.yaml`,
    source_format: 'yaml',
    pipeline_name: name,
    sdk_version: 'kfp-2.14.6',
    schema_version: '2.1.0',
    inputs,
    summary: {},
    run_count: 0
  };
}

const ADD_NUMBERS = pipeline('add-numbers', [
  { name: 'a', type: 'NUMBER_INTEGER', kind: 'parameter', default: null, optional: false, description: '' },
  { name: 'b', type: 'NUMBER_INTEGER', kind: 'parameter', default: null, optional: false, description: '' }
]);
const MIXED = pipeline('mixed', [
  { name: 'message', type: 'STRING', kind: 'parameter', default: 'hello', optional: true, description: 'what to print' },
  { name: 'flag', type: 'BOOLEAN', kind: 'parameter', default: true, optional: true, description: '' },
  { name: 'items', type: 'LIST', kind: 'parameter', default: [1, 2], optional: true, description: '' },
  { name: 'dataset', type: 'system.Dataset', kind: 'artifact', default: null, optional: false, description: '' }
]);

/** A form host with no server behind it: the addon's own state is what is under test. */
function host(): IFormHost & { refreshed: number } {
  const h = {
    ctx: { trans: ENGLISH, settings: { defaultExperiment: '' } } as unknown as EasyMakerContext,
    options: { kind: 'pipeline-run' },
    trans: ENGLISH,
    idPrefix: 'f1',
    refreshed: 0,
    choices: () => [],
    applyBody: () => undefined,
    refresh: () => void h.refreshed++
  };
  return h;
}

function runAddon(): RunFormAddon {
  const addon = new RunFormAddon(host());
  addon.pipelines = [ADD_NUMBERS, MIXED, pipeline('broken', [], 'CREATE FAILED')];
  addon.experiment.experiments = [{ id: 'e1', name: 'exp-1' } as never];
  addon.experiment.experimentId = 'e1';
  addon.choosePipeline('add-numbers');
  return addon;
}

function render(node: React.ReactNode): string {
  return renderToStaticMarkup(<>{node}</>);
}

describe('the run form\'s own controls', () => {
  it('offers the ACTIVE pipelines and draws an input per run parameter, typed', () => {
    const addon = runAddon();
    const html = render(addon.render({}, () => undefined));
    expect(html).toMatch(/<select[^>]*name="pipeline_name"/);
    expect(html).toContain('<option value="broken" disabled="">broken (CREATE FAILED)</option>');
    expect(html).toMatch(/<input[^>]*name="parameters\.a"[^>]*inputmode="numeric"/i);
    expect(html).toMatch(/<input[^>]*name="parameters\.b"/);
    expect(html).toContain('NUMBER_INTEGER');
    addon.choosePipeline('mixed');
    const mixed = render(addon.render({}, () => undefined));
    expect(mixed).toMatch(/<input[^>]*name="parameters\.message"[^>]*value="hello"/);
    expect(mixed).toMatch(/<input[^>]*name="parameters\.flag"[^>]*type="checkbox"[^>]*checked=""/);
    expect(mixed).toMatch(/<textarea[^>]*name="parameters\.items"[^>]*>\[1,2\]<\/textarea>/);
    expect(mixed).toContain('Artifact inputs (dataset) are not set from the form');
    expect(mixed).toContain('what to print');
  });

  it('casts the parameters into the body and names a bad one by its field', () => {
    const addon = runAddon();
    addon.texts = { a: 'five', b: '' };
    expect(addon.validate()).toEqual({ 'parameters.a': 'Must be a whole number', 'parameters.b': 'Required' });
    addon.texts = { a: '5', b: '5' };
    expect(addon.validate()).toEqual({});
    expect(addon.body()).toEqual({ pipeline_name: 'add-numbers', parameters: { a: 5, b: 5 }, experiment_id: 'e1' });
    // a new experiment by name, created with the run
    addon.experiment.mode = 'new';
    addon.experiment.experimentName = 'bad name';
    expect(addon.validate()).toEqual({ experiment_name: 'Use 1-50 letters, digits, - or _' });
    addon.experiment.experimentName = 'pipes';
    expect(addon.body()).toMatchObject({ experiment_name: 'pipes' });
    expect(addon.body()).not.toHaveProperty('experiment_id');
  });

  it('shows an error under the parameter it names (a server error, or the check as the user types)', () => {
    const addon = runAddon();
    let html = render(addon.render({ 'parameters.b': 'parameters.b: 1.5 is not an integer' }, () => undefined));
    expect(html).toMatch(/data-error-for="parameters\.b"[^>]*>parameters\.b: 1\.5 is not an integer</);
    addon.texts = { ...addon.texts, a: '1.5' };
    addon.edited.add('a');
    html = render(addon.render({}, () => undefined));
    expect(html).toMatch(/data-error-for="parameters\.a"[^>]*>Must be a whole number</);
    // a server error's field is found among the controls' paths, the parameter's before the group's
    expect(addon.paths.indexOf('parameters.a')).toBeLessThan(addon.paths.indexOf('parameters'));
  });

  it('takes a copied run: its pipeline, parameters and experiment', () => {
    const addon = runAddon();
    addon.applyBody({ pipeline_name: 'mixed', parameters: { message: 'copied', flag: false }, experiment_name: 'exp-1' });
    expect(addon.pipelineName).toBe('mixed');
    expect(addon.texts).toMatchObject({ message: 'copied', flag: 'false', items: '[1,2]' });
    expect(addon.experiment.mode).toBe('existing');
    expect(addon.experiment.experimentId).toBe('e1');
    expect(addon.body()).toEqual({ pipeline_name: 'mixed', parameters: { message: 'copied', flag: false, items: [1, 2] }, experiment_id: 'e1' });
    addon.applyBody({ pipeline_id: 'id-add-numbers', experiment_name: 'brand-new' });
    expect(addon.pipelineName).toBe('add-numbers');
    expect(addon.experiment.mode).toBe('new');
    expect(addon.experiment.experimentName).toBe('brand-new');
  });

  it('refuses a pipeline that is not ACTIVE', () => {
    const addon = runAddon();
    addon.choosePipeline('broken');
    expect(addon.validate().pipeline_name).toBe('The pipeline is CREATE FAILED; only an ACTIVE pipeline can be run');
  });
});

describe('the schedule form\'s trigger', () => {
  function scheduleAddon(): ScheduleFormAddon {
    const addon = new ScheduleFormAddon(host());
    addon.pipelines = [ADD_NUMBERS];
    addon.experiment.experimentId = 'e1';
    addon.choosePipeline('add-numbers');
    addon.texts = { a: '1', b: '2' };
    return addon;
  }

  it('sends an interval as a number and a unit', () => {
    const addon = scheduleAddon();
    expect(addon.section).toBe('schedule');
    expect(addon.validate()).toEqual({});
    expect(addon.body().trigger).toEqual({ type: 'interval', every: 1, unit: 'hours' });
    addon.setTrigger({ every: '0' }, () => undefined);
    expect(addon.validate()).toEqual({ 'trigger.every': 'A whole number from 1 to 1000000' });
  });

  it('hints at the seconds field of a 5-field cron expression as it is typed, and takes 6 fields', () => {
    const addon = scheduleAddon();
    const cleared: string[] = [];
    addon.setTrigger({ type: 'cron', expression: '*/5 * * * *' }, p => cleared.push(p));
    expect(cleared).toContain('trigger.expression');
    const hint = "5 fields: a schedule's cron expression has 6, seconds first (seconds minutes hours day-of-month month day-of-week). Add the seconds field first, e.g. '0 */5 * * * *'";
    expect(addon.validate()).toEqual({ 'trigger.expression': hint });
    const html = render(addon.render({}, () => undefined));
    expect(html).toMatch(/<input[^>]*name="trigger\.expression"[^>]*value="\*\/5 \* \* \* \*"/);
    expect(html.replace(/&#x27;/g, "'")).toContain(hint);
    expect(html).toContain('data-role="cron-hint"');
    addon.setTrigger({ expression: '0 */5 * * * *' }, () => undefined);
    expect(addon.validate()).toEqual({});
    expect(addon.body()).toMatchObject({ trigger: { type: 'cron', expression: '0 */5 * * * *' }, parameters: { a: 1, b: 2 } });
    expect(render(addon.render({}, () => undefined))).toContain('data-role="cron-fields"');
    expect(addon.paths).toContain('trigger.expression');
  });

  it('takes a copied schedule\'s trigger', () => {
    const addon = scheduleAddon();
    addon.applyBody({ pipeline_name: 'add-numbers', parameters: { a: 3, b: 4 }, trigger: { type: 'cron', expression: '0 0 9 * * 1-5' } });
    expect(addon.trigger).toMatchObject({ type: 'cron', expression: '0 0 9 * * 1-5' });
    expect(addon.body()).toMatchObject({ parameters: { a: 3, b: 4 }, trigger: { type: 'cron', expression: '0 0 9 * * 1-5' } });
  });
});

/** The server's document (the pytest wrapper passes it), else the committed one with the pipelines schemas. */
function documentWith(schema: string): IOpenApiDocument {
  const candidates = [process.env.EASYMAKER_OPENAPI, path.resolve(__dirname, 'fixtures/openapi.json'), path.resolve(__dirname, '../../tests/data/openapi.json')];
  for (const file of candidates) {
    if (file && fs.existsSync(file)) {
      const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as IOpenApiDocument;
      if (doc.components?.schemas?.[schema]) {
        return doc;
      }
    }
  }
  throw new Error(`no OpenAPI document with ${schema}`);
}

const VALIDATOR = customizeValidator({ ajvOptionsOverrides: { discriminator: true } });

function renderForm(hints: IFormHints): { html: string; names: string[] } {
  const schema = formSchema(documentWith(hints.schema), hints.schema, hints.hidden);
  const names = Object.keys(schema.properties ?? {});
  const uiSchema = buildUiSchema(schema, hints, ENGLISH, { choices: new Set() });
  const sections = placeFields(hints, names);
  const context: IFormContext = {
    trans: ENGLISH,
    version: 1,
    sections: () => sections,
    before: section => (section === 'pipeline' || section === 'schedule' ? <div data-addon={section} /> : null),
    choices: () => null,
    problems: new Map(),
    defaultFormData: {}
  };
  const html = renderToStaticMarkup(
    <Form
      schema={schema as never}
      uiSchema={uiSchema}
      formData={{}}
      formContext={context}
      validator={VALIDATOR}
      widgets={WIDGETS}
      fields={FIELDS}
      idPrefix="f1"
      noHtml5Validate
      showErrorList={false}
      experimental_defaultFormStateBehavior={{ arrayMinItems: { populate: 'never' } }}
    />
  );
  return { html, names };
}

describe('the generated fields', () => {
  it('lay the run form out in the guide\'s sections, its own controls in the pipeline section', () => {
    const { html, names } = renderForm(PIPELINE_RUN_FORM);
    for (const hidden of ['pipeline_name', 'experiment_id', 'experiment_name', 'parameters']) {
      expect(names).not.toContain(hidden);
    }
    const legends = [...html.matchAll(/<legend[^>]*>([^<]*)</g)].map(m => m[1]);
    expect(legends).toEqual(expect.arrayContaining(['Basic information', 'Pipeline', 'Instance information', 'Additional settings']));
    expect(html).toContain('data-addon="pipeline"');
    expect(html).toMatch(/name="instance_count"/);
    expect(html).toMatch(/name="log_management"/);
    expect(html).toContain('Pipeline run name');
  });

  it('lay the schedule form out with max concurrency, start and end time and catch-up under the trigger', () => {
    const { html, names } = renderForm(PIPELINE_SCHEDULE_FORM);
    expect(names).not.toContain('trigger');
    expect(names).toEqual(expect.arrayContaining(['max_concurrency', 'start_at', 'end_at', 'catch_up']));
    expect(html).toContain('data-addon="schedule"');
    const section = html.slice(html.indexOf('data-section="schedule"'));
    expect(section.indexOf('data-addon="schedule"')).toBeLessThan(section.indexOf('name="max_concurrency"'));
    expect(html).toContain('Maximum concurrent runs');
    expect(html).toContain('Catch up missed runs');
  });
});
