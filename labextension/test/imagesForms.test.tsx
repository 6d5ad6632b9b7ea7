/**
 * The image form's account control (an existing registry account, a new one
 * filled in inline with a masked password, or none) and the generated fields
 * of the image and registry account forms, from the server's schemas.
 */
import * as fs from 'fs';
import * as path from 'path';
import Form from '@rjsf/core';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { AccountFormAddon } from '../src/areas/images/accountAddon';
import { IMAGE_FORM } from '../src/areas/images/form';
import { REGISTRY_ACCOUNT_FORM } from '../src/areas/registryAccounts/form';
import type { EasyMakerContext } from '../src/shared/context';
import { FIELDS } from '../src/shared/forms/fields';
import type { IFormContext } from '../src/shared/forms/formContext';
import type { IFormHost } from '../src/shared/forms/formKinds';
import { IFormHints, placeFields } from '../src/shared/forms/hints';
import { IOpenApiDocument, formSchema } from '../src/shared/forms/openapi';
import { buildUiSchema } from '../src/shared/forms/uiSchema';
import { WIDGETS } from '../src/shared/forms/widgets';
import { ENGLISH } from '../src/shared/i18n';

function host(): IFormHost {
  return {
    ctx: { trans: ENGLISH } as unknown as EasyMakerContext,
    options: { kind: 'image' },
    trans: ENGLISH,
    idPrefix: 'f1',
    choices: () => [],
    applyBody: () => undefined,
    refresh: () => undefined
  };
}

function render(node: React.ReactNode): string {
  return renderToStaticMarkup(<>{node}</>);
}

describe("the image form's account control", () => {
  it('picks an existing account by id', () => {
    const addon = new AccountFormAddon(host());
    addon.accounts = [{ id: 'a1', name: 'ncr', registry_type: 'NCR', registry_address: 'example-kr1-registry.container.nhncloud.com' }];
    addon.mode = 'existing';
    addon.accountId = 'a1';
    expect(addon.validate()).toEqual({});
    expect(addon.body()).toEqual({ registry_account_id: 'a1' });
    const html = render(addon.render({}, () => undefined));
    expect(html).toMatch(/<select[^>]*name="registry_account_id"/);
    expect(html).toContain('ncr (NCR example-kr1-registry.container.nhncloud.com)');
  });

  it('creates a new account inline, its password masked and required', () => {
    const addon = new AccountFormAddon(host());
    addon.mode = 'new';
    expect(addon.validate()).toEqual({
      'registry_account.name': 'Required',
      'registry_account.username': 'Required',
      'registry_account.password': 'Required'
    });
    addon.fresh = { ...addon.fresh, name: 'ncr', registry_address: 'r.example.com', username: 'AK', password: 'secret' };
    expect(addon.validate()).toEqual({});
    expect(addon.body()).toEqual({
      registry_account: { name: 'ncr', description: '', registry_type: 'NCR', registry_address: 'r.example.com', username: 'AK', password: 'secret' }
    });
    const html = render(addon.render({ 'registry_account.registry_address': 'registry_account.registry_address: not a registry host' }, () => undefined));
    expect(html).toMatch(/<input[^>]*name="registry_account\.password"[^>]*type="password"/);
    expect(html).toMatch(/data-error-for="registry_account\.registry_address"[^>]*>registry_account\.registry_address: not a registry host</);
    // a server error on the inline account's fields lands under them
    expect(addon.paths).toContain('registry_account.name');
  });

  it('sends no account for a public image, and takes a copied account id', () => {
    const addon = new AccountFormAddon(host());
    addon.mode = 'none';
    expect(addon.body()).toEqual({});
    addon.applyBody({ registry_account_id: 'a2' });
    expect(addon.mode).toBe('existing');
    expect(addon.body()).toEqual({ registry_account_id: 'a2' });
  });
});

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

function renderForm(hints: IFormHints): { html: string; names: string[] } {
  const schema = formSchema(documentWith(hints.schema), hints.schema, hints.hidden);
  const names = Object.keys(schema.properties ?? {});
  const uiSchema = buildUiSchema(schema, hints, ENGLISH, { choices: new Set() });
  const sections = placeFields(hints, names);
  const context: IFormContext = {
    trans: ENGLISH,
    version: 1,
    sections: () => sections,
    before: section => (section === 'account' ? <div data-addon={section} /> : null),
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
      validator={customizeValidator()}
      widgets={WIDGETS}
      fields={FIELDS}
      idPrefix="f1"
      noHtml5Validate
      showErrorList={false}
    />
  );
  return { html, names };
}

describe('the generated fields', () => {
  it('lay the image form out with the account control in its own section', () => {
    const { html, names } = renderForm(IMAGE_FORM);
    expect(names).not.toContain('registry_account');
    expect(names).not.toContain('registry_account_id');
    expect(html).toContain('data-addon="account"');
    expect(html).toMatch(/name="address"/);
    expect(html).toMatch(/name="local_python"/);
    expect(html).toContain('Image name');
  });

  it('mask the registry account form\'s password', () => {
    const { html } = renderForm(REGISTRY_ACCOUNT_FORM);
    expect(html).toMatch(/<input[^>]*type="password"[^>]*name="password"|<input[^>]*name="password"[^>]*type="password"/);
    expect(html).toContain('Registry account name');
  });
});
