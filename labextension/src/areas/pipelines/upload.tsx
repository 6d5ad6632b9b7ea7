/**
 * The upload dialog of a pipeline: a compiled Kubeflow pipeline (.yaml,
 * .yml, .json, or a .zip holding one), its name and description. The
 * dialog stays open until the server takes the file: a refusal is shown
 * under the field it names (`name`, `description`, or the file for the
 * spec's own problems, e.g. `root.dag.tasks.x.componentRef.name`).
 */
import { Notification, ReactWidget } from '@jupyterlab/apputils';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { ApiError } from '../../shared/api/client';
import type { EasyMakerContext } from '../../shared/context';
import { NAME_PATTERN } from '../../shared/forms/errors';
import { TransContext, useTrans } from '../../shared/i18n/react';
import { errorText } from '../../shared/state/listModel';
import { type IPipeline, pipelinesApi } from './api';
import { PIPELINE_SUFFIXES, compiledName, fileProblem, suggestedName, uploadErrorField } from './uploadFile';

function readBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result ?? '');
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
}

/** Open the dialog; resolves with the uploaded pipeline, or null when cancelled. */
export function openUploadDialog(ctx: EasyMakerContext): Promise<IPipeline | null> {
  return new Promise(resolve => {
    const dialog = new UploadDialog(ctx, resolve);
    Widget.attach(dialog, document.body);
  });
}

interface IUploadErrors {
  file?: string;
  name?: string;
  description?: string;
}

class UploadDialog extends ReactWidget {
  constructor(
    readonly ctx: EasyMakerContext,
    private readonly done: (pipeline: IPipeline | null) => void
  ) {
    super();
    this.addClass('jp-Dialog');
    this.addClass('jp-ThemedContainer');
    this.addClass('jp-EasyMaker-uploadDialog');
    this.node.setAttribute('role', 'dialog');
    this.node.setAttribute('aria-modal', 'true');
  }

  file: File | null = null;
  name = '';
  description = '';
  /** The name was typed by the user (a new file no longer suggests one). */
  nameTyped = false;
  errors: IUploadErrors = {};
  formError: string | null = null;
  busy = false;

  finish(result: IPipeline | null): void {
    this.done(result);
    this.dispose();
  }

  async choose(file: File | null): Promise<void> {
    this.file = file;
    this.errors = { ...this.errors, file: undefined };
    const problem = fileProblem(file);
    if (file && problem) {
      this.errors.file = this.ctx.trans.__(problem);
    }
    if (file && !this.nameTyped) {
      let fromIr: string | null = null;
      if (!/\.zip$/i.test(file.name)) {
        fromIr = compiledName(await file.slice(0, 2000).text().catch(() => ''));
      }
      this.name = suggestedName(fromIr ?? file.name);
    }
    this.update();
  }

  async submit(): Promise<void> {
    const { trans } = this.ctx;
    if (this.busy) {
      return;
    }
    const errors: IUploadErrors = {};
    const problem = fileProblem(this.file);
    if (problem) {
      errors.file = trans.__(problem);
    }
    if (!this.name.trim()) {
      errors.name = trans.__('Required');
    } else if (!new RegExp(NAME_PATTERN).test(this.name.trim())) {
      errors.name = trans.__('Use 1-50 letters, digits, - or _');
    }
    this.errors = errors;
    this.formError = null;
    if (Object.keys(errors).length || !this.file) {
      this.update();
      return;
    }
    this.busy = true;
    this.update();
    try {
      const pipeline = await pipelinesApi(this.ctx).upload({
        name: this.name.trim(),
        description: this.description,
        filename: this.file.name,
        content_base64: await readBase64(this.file)
      });
      Notification.success(trans.__('%1 uploaded', pipeline.name), { autoClose: 3000 });
      this.finish(pipeline);
      return;
    } catch (error) {
      if (error instanceof ApiError && error.status < 500) {
        const where = uploadErrorField(error.field);
        // the spec's own problems name their place in the spec
        const message =
          where === 'file' && error.field && error.field !== 'file' && !error.message.includes(error.field) ? `${error.field}: ${error.message}` : error.message;
        this.errors = { [where]: message };
      } else {
        this.formError = errorText(error);
      }
    }
    this.busy = false;
    this.update();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.node.addEventListener('keydown', this._onKey);
    requestAnimationFrame(() => (this.node.querySelector('input[type="file"]') as HTMLElement | null)?.focus());
  }

  protected onBeforeDetach(msg: Message): void {
    this.node.removeEventListener('keydown', this._onKey);
    super.onBeforeDetach(msg);
  }

  render(): JSX.Element {
    return (
      <TransContext.Provider value={this.ctx.trans}>
        <UploadView dialog={this} />
      </TransContext.Provider>
    );
  }

  private _onKey = (event: KeyboardEvent) => {
    if (event.key === 'Escape' && !this.busy) {
      event.preventDefault();
      this.finish(null);
    } else if (event.key === 'Enter' && (event.target as HTMLElement).tagName === 'INPUT') {
      event.preventDefault();
      void this.submit();
    }
  };
}

function UploadView(props: { dialog: UploadDialog }): JSX.Element {
  const { dialog: d } = props;
  const trans = useTrans();
  const error = (field: keyof IUploadErrors) =>
    d.errors[field] ? (
      <div className="jp-EasyMaker-fieldError" role="alert" data-error-for={field}>
        {d.errors[field]}
      </div>
    ) : null;
  return (
    <div className="jp-Dialog-content jp-EasyMaker-uploadContent" data-form="pipeline-upload">
      <div className="jp-Dialog-header">{trans.__('Upload pipeline')}</div>
      <div className="jp-Dialog-body">
        <div className={'jp-EasyMaker-field' + (d.errors.file ? ' jp-mod-error' : '')} data-field="file">
          <label htmlFor="jp-EasyMaker-pipelineFile">
            {trans.__('Pipeline file')}
            <span className="jp-EasyMaker-required"> *</span>
          </label>
          <input id="jp-EasyMaker-pipelineFile" name="file" type="file" accept={PIPELINE_SUFFIXES.join(',')} onChange={e => void d.choose(e.target.files?.[0] ?? null)} />
          <div className="jp-EasyMaker-help">
            {trans.__('A Kubeflow Pipelines v2 file compiled by kfp (kfp.compiler.Compiler): YAML, JSON, or a zip holding one. At most 20 MB.')}
          </div>
          {error('file')}
        </div>
        <div className={'jp-EasyMaker-field' + (d.errors.name ? ' jp-mod-error' : '')} data-field="name">
          <label htmlFor="jp-EasyMaker-pipelineName">
            {trans.__('Pipeline name')}
            <span className="jp-EasyMaker-required"> *</span>
          </label>
          <input
            id="jp-EasyMaker-pipelineName"
            name="name"
            type="text"
            className="jp-mod-styled"
            value={d.name}
            onChange={e => {
              d.name = e.target.value;
              d.nameTyped = true;
              d.errors = { ...d.errors, name: undefined };
              d.update();
            }}
          />
          <div className="jp-EasyMaker-help">{trans.__('Use 1-50 letters, digits, - or _')}</div>
          {error('name')}
        </div>
        <div className={'jp-EasyMaker-field' + (d.errors.description ? ' jp-mod-error' : '')} data-field="description">
          <label htmlFor="jp-EasyMaker-pipelineDescription">{trans.__('Pipeline description')}</label>
          <textarea
            id="jp-EasyMaker-pipelineDescription"
            name="description"
            className="jp-mod-styled"
            rows={2}
            value={d.description}
            onChange={e => {
              d.description = e.target.value;
              d.errors = { ...d.errors, description: undefined };
              d.update();
            }}
          />
          {error('description')}
        </div>
        {d.formError ? (
          <div className="jp-EasyMaker-error jp-EasyMaker-formError" role="alert">
            {d.formError}
          </div>
        ) : null}
      </div>
      <div className="jp-Dialog-footer">
        <button type="button" className="jp-Dialog-button jp-mod-reject jp-mod-styled" data-action="cancel" onClick={() => d.finish(null)}>
          <div className="jp-Dialog-buttonLabel">{trans.__('Cancel')}</div>
        </button>
        <button type="button" className="jp-Dialog-button jp-mod-accept jp-mod-styled" data-action="submit" disabled={d.busy} onClick={() => void d.submit()}>
          <div className="jp-Dialog-buttonLabel">{d.busy ? trans.__('Uploading…') : trans.__('Upload')}</div>
        </button>
      </div>
    </div>
  );
}
