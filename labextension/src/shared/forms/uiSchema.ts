/**
 * The guide's layout of a form as rjsf's uiSchema: labels and help texts
 * (translated), hidden fields, key/value maps, the algorithm union, lists,
 * text areas, masked inputs of secrets and the fields that pick something.
 * Every field carries its generic path (`ui:options.path`), which names its
 * inputs and errors.
 */
import type { UiSchema } from '@rjsf/utils';

import type { ITrans } from '../i18n';
import type { IFormHints } from './hints';
import { IJsonSchema, isMap, unionOf } from './openapi';
import { joinPath } from './paths';
import { ErrorTemplate, HiddenTemplate, ListTemplate, SectionsTemplate } from './templates';

export interface IUiOptions {
  /** Generic paths of the fields that pick from loaded choices. */
  choices: ReadonlySet<string>;
}

function typeOf(schema: IJsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find(t => t !== 'null') : schema.type;
}

const SCALARS = ['string', 'integer', 'number', 'boolean'];

/**
 * The form's uiSchema; help texts are written into the (form's own copy
 * of the) schema's descriptions, where JupyterLab's field template shows them.
 */
export function buildUiSchema(schema: IJsonSchema, hints: IFormHints, trans: ITrans, options: IUiOptions): UiSchema {
  const hidden = new Set(hints.hidden);
  const walk = (node: IJsonSchema, path: string, required: boolean): UiSchema => {
    const ui: UiSchema = { 'ui:options': { path } };
    if (hidden.has(path)) {
      ui['ui:FieldTemplate'] = HiddenTemplate;
      return ui;
    }
    const label = hints.labels[path] ? trans.__(hints.labels[path]) : node.title;
    const type = typeOf(node);
    const scalar = SCALARS.includes(String(type)) && !node.oneOf;
    if (label !== undefined) {
      // JupyterLab's field template shows the label as is: the required mark goes in it
      ui['ui:title'] = scalar && required && type !== 'boolean' ? `${label} *` : label;
    }
    if (hints.help?.[path]) {
      node.description = trans.__(hints.help[path]);
    }
    const union = unionOf(node);
    if (union) {
      ui['ui:field'] = 'union';
      // the field draws the variants itself (rjsf's own variant select is not shown)
      ui['ui:fieldReplacesAnyOrOneOf'] = true;
      const variants = union.variants.map(v => ({
        value: v.value,
        label: hints.variants?.[v.value] ? trans.__(hints.variants[v.value]) : v.schema.title ?? v.value,
        schema: v.schema
      }));
      ui['ui:options'] = { path, tag: union.tag, variants } as never;
      for (const v of union.variants) {
        const req = new Set(v.schema.required ?? []);
        for (const [name, sub] of Object.entries(v.schema.properties ?? {})) {
          if (name !== union.tag) {
            ui[name] = { ...(ui[name] as UiSchema | undefined), ...walk(sub, joinPath(path, name), req.has(name)) };
          }
        }
      }
      return ui;
    }
    if (isMap(node)) {
      ui['ui:field'] = 'keyValue';
      return ui;
    }
    if (node.properties) {
      const req = new Set(node.required ?? []);
      for (const [name, sub] of Object.entries(node.properties)) {
        ui[name] = walk(sub, joinPath(path, name), req.has(name));
      }
      return ui;
    }
    if (type === 'array') {
      ui['ui:ArrayFieldTemplate'] = ListTemplate;
      const itemPath = joinPath(path, -1);
      const items = walk(node.items ?? {}, itemPath, true);
      if (SCALARS.includes(String(typeOf(node.items ?? {})))) {
        // an item of a list of strings needs no label of its own
        items['ui:options'] = { ...(items['ui:options'] as object), label: false };
        delete items['ui:title'];
      }
      ui.items = items;
      return ui;
    }
    if (options.choices.has(path)) {
      ui['ui:widget'] = 'choices';
    } else if (hints.passwords?.includes(path) || node.format === 'password') {
      // the text input (named after the path), masked; not rjsf's own password widget
      ui['ui:widget'] = 'text';
      ui['ui:options'] = { path, inputType: 'password', autocomplete: 'new-password' };
    } else if (hints.textareas?.[path]) {
      ui['ui:widget'] = 'textarea';
      ui['ui:options'] = { path, rows: hints.textareas[path] };
    } else if (type === 'string' && !node.enum && (path.split('.').pop() === 'description' || (node.maxLength ?? 0) > 1000)) {
      ui['ui:widget'] = 'textarea';
    }
    return ui;
  };
  const root = walk(schema, '', true);
  delete root['ui:title'];
  return {
    ...root,
    'ui:ObjectFieldTemplate': SectionsTemplate,
    // rjsf reads templates from a field's options, the global ones included
    'ui:globalOptions': { FieldErrorTemplate: ErrorTemplate } as UiSchema['ui:globalOptions']
  };
}
