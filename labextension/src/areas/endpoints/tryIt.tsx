/** "Try it": send a JSON body to one model of a stage with an API key the user pastes, and show the answer. */
import * as React from 'react';

import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { errorText } from '../../shared/state/listModel';
import { modelsApi } from '../models/api';
import type { IStage } from './api';
import { formatLatency, sampleBody } from './stats';

interface ITryAnswer {
  status: number;
  ms: number;
  inferenceId: string;
  body: string;
}

/** Send a JSON body to one model of the stage with an API key the user pastes. */
export function TryIt(props: { ctx: EasyMakerContext; stage: IStage }): JSX.Element {
  const { ctx, stage } = props;
  const trans = useTrans();
  const resources = stage.resources;
  const [resourceId, setResourceId] = React.useState(resources[0]?.id ?? '');
  const resource = resources.find(r => r.id === resourceId) ?? resources[0];
  const [path, setPath] = React.useState('');
  const [key, setKey] = React.useState('');
  const [body, setBody] = React.useState('');
  const [answer, setAnswer] = React.useState<ITryAnswer | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [sending, setSending] = React.useState(false);
  React.useEffect(() => {
    if (!resource) {
      return;
    }
    setPath(`v1/models/${resource.model_name}/predict`);
    let gone = false;
    // a body as wide as the model's input, when the model says
    modelsApi(ctx)
      .get(resource.model_id)
      .then(m => !gone && setBody(b => b || sampleBody(m.artifact_info)))
      .catch(() => !gone && setBody(b => b || sampleBody(null)));
    return () => {
      gone = true;
    };
  }, [resource?.id]);
  if (!resource) {
    return <></>;
  }
  const url = `${resource.resource_path}/${path.replace(/^\/+/, '')}`;
  const send = async () => {
    setError(null);
    let payload: string | undefined;
    if (body.trim()) {
      try {
        payload = JSON.stringify(JSON.parse(body));
      } catch (e) {
        setError(trans.__('The body is not JSON: %1', (e as Error).message));
        return;
      }
    }
    setSending(true);
    const started = performance.now();
    try {
      // the gateway takes an API key, not the Jupyter token: a plain fetch
      const response = await fetch(url, {
        method: payload === undefined ? 'GET' : 'POST',
        headers: { Authorization: `Bearer ${key.trim()}`, 'Content-Type': 'application/json' },
        body: payload
      });
      const text = await response.text();
      let shown = text;
      try {
        shown = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: shown as it came
      }
      setAnswer({ status: response.status, ms: performance.now() - started, inferenceId: response.headers.get('X-Inference-Id') ?? '', body: shown });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setSending(false);
    }
  };
  return (
    <details className="jp-EasyMaker-section jp-EasyMaker-tryIt" data-role="try-it">
      <summary className="jp-EasyMaker-groupTitle">{trans.__('Try it')}</summary>
      <div className="jp-EasyMaker-tryItForm">
        <label>
          {trans.__('Model')}
          <select className="jp-mod-styled" name="try-resource" value={resource.id} onChange={e => setResourceId(e.target.value)}>
            {resources.map(r => (
              <option key={r.id} value={r.id}>
                {r.model_name}
              </option>
            ))}
          </select>
        </label>
        <label className="jp-EasyMaker-tryItPath">
          {trans.__('Path')}
          <span className="jp-EasyMaker-inlineControls">
            <code className="jp-EasyMaker-url">{resource.resource_path}/</code>
            <input className="jp-mod-styled" name="try-path" value={path} onChange={e => setPath(e.target.value)} />
          </span>
        </label>
        <label>
          {trans.__('API key')}
          <input className="jp-mod-styled" type="password" name="try-key" autoComplete="off" placeholder="emk_…" value={key} onChange={e => setKey(e.target.value)} />
        </label>
        <label>
          {trans.__('Request body (JSON; empty for GET)')}
          <textarea className="jp-mod-styled" name="try-body" rows={5} spellCheck={false} value={body} onChange={e => setBody(e.target.value)} />
        </label>
        <div className="jp-EasyMaker-formButtons">
          <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="try-send" disabled={sending || !key.trim()} onClick={() => void send()}>
            {sending ? trans.__('Sending…') : trans.__('Send')}
          </button>
          {!key.trim() ? <span className="jp-EasyMaker-help">{trans.__('Paste an API key of this endpoint (API keys tab).')}</span> : null}
        </div>
        {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
        {answer ? (
          <div className="jp-EasyMaker-tryAnswer" data-role="try-answer" data-status={answer.status}>
            <div className="jp-EasyMaker-help">
              HTTP {answer.status} · {formatLatency(answer.ms)}
              {answer.inferenceId ? ` · X-Inference-Id ${answer.inferenceId}` : ''}
            </div>
            <pre className="jp-EasyMaker-json">{answer.body}</pre>
          </div>
        ) : null}
      </div>
    </details>
  );
}
