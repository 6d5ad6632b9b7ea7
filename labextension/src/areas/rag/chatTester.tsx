/**
 * The chat tester: questions to the RAG's query URL with an API key, the
 * answers streamed in as they are written, and the passages each answer
 * was grounded on. The conversation lives in the detail tab (a
 * ChatSession), so it survives switching tabs and goes with the tab.
 */
import { URLExt } from '@jupyterlab/coreutils';
import * as React from 'react';

import { useSignal } from '../../shared/components/hooks';
import type { EasyMakerContext } from '../../shared/context';
import { useTrans } from '../../shared/i18n/react';
import { formatNumber } from '../../shared/state/format';
import { errorText } from '../../shared/state/listModel';
import type { IRag, IRagApiKey, ISource } from './api';
import { NewKey, createKey, useKnownKeys } from './apiKeys';
import type { ChatSession, IChatTurn } from './chatSession';
import { formatLatency } from './shaping';

/** Path of the query URL below the server's base URL. */
export const QUERY_PATH = 'easymaker/rag/v1/query';

/** The query URL of this server (`{base}easymaker/rag/v1/query`). */
export function queryUrl(ctx: EasyMakerContext): string {
  return URLExt.join(ctx.api.client.serverSettings.baseUrl, QUERY_PATH);
}

/** The passages an answer was grounded on: file, chunk, score, text. */
export function SourcesTable(props: { sources: readonly ISource[] }): JSX.Element {
  const trans = useTrans();
  if (!props.sources.length) {
    return <div className="jp-EasyMaker-help">{trans.__('No passages were retrieved.')}</div>;
  }
  return (
    <table className="jp-EasyMaker-details jp-EasyMaker-grid" data-role="sources">
      <thead>
        <tr>
          <th>#</th>
          <th>{trans.__('File')}</th>
          <th>{trans.__('Chunk')}</th>
          <th>{trans.__('Score')}</th>
          <th>{trans.__('Text')}</th>
        </tr>
      </thead>
      <tbody>
        {props.sources.map((s, i) => (
          <tr key={i} data-source-file={s.file}>
            <td>{i + 1}</td>
            <td>
              <code>{s.file}</code>
            </td>
            <td>{String(s.chunk)}</td>
            <td>{Number.isFinite(s.score) ? formatNumber(s.score) : '-'}</td>
            <td>
              <SourceText text={s.text} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const SHORT = 300;

function SourceText(props: { text: string }): JSX.Element {
  const trans = useTrans();
  const [open, setOpen] = React.useState(false);
  const long = props.text.length > SHORT;
  return (
    <div style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
      {open || !long ? props.text : `${props.text.slice(0, SHORT)}…`}
      {long ? (
        <>
          {' '}
          <button type="button" className="jp-EasyMaker-button jp-EasyMaker-copy" onClick={() => setOpen(!open)}>
            {open ? trans.__('Less') : trans.__('More')}
          </button>
        </>
      ) : null}
    </div>
  );
}

function Turn(props: { turn: IChatTurn }): JSX.Element {
  const trans = useTrans();
  const { turn } = props;
  const { answer } = turn;
  return (
    <div className="jp-EasyMaker-section" data-role="chat-turn" data-streaming={turn.streaming ? 'true' : 'false'}>
      <div className="jp-EasyMaker-help">{trans.__('Question')}</div>
      <div data-role="question" style={{ whiteSpace: 'pre-wrap' }}>
        {turn.question}
      </div>
      <div className="jp-EasyMaker-help" style={{ marginTop: 6 }}>
        {trans.__('Answer')}
        {turn.streaming ? ` · ${trans.__('writing…')}` : turn.ms !== null ? ` · ${formatLatency(turn.ms)}` : ''}
        {answer.finishReason && answer.finishReason !== 'stop' ? ` · ${answer.finishReason}` : ''}
      </div>
      <div
        className="jp-EasyMaker-json"
        data-role="answer"
        style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', minHeight: '1.5em', fontFamily: 'var(--jp-content-font-family)', fontSize: 'var(--jp-content-font-size1)' }}
      >
        {answer.content}
      </div>
      {turn.error ? (
        <div className="jp-EasyMaker-error" data-role="chat-error">
          {turn.error}
        </div>
      ) : null}
      {answer.sources !== null ? (
        <details className="jp-EasyMaker-section" data-role="answer-sources" open>
          <summary className="jp-EasyMaker-groupTitle">{trans.__('Sources (%1)', answer.sources.length)}</summary>
          <SourcesTable sources={answer.sources} />
        </details>
      ) : null}
    </div>
  );
}

/** Pick a key created in this page, paste one, or create one for the tester. */
function KeyPicker(props: { ctx: EasyMakerContext; rag: IRag; session: ChatSession }): JSX.Element {
  const { ctx, rag, session } = props;
  const trans = useTrans();
  const known = useKnownKeys(rag.id);
  const [created, setCreated] = React.useState<IRagApiKey | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);
  const chosen = known.find(k => k.key === session.key);
  const create = async () => {
    setBusy(true);
    try {
      const key = await createKey(ctx, rag.id, 'chat-tester');
      setCreated(key);
      setError(null);
      session.setKey(key.key ?? '');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="jp-EasyMaker-section" data-role="chat-key">
      <div className="jp-EasyMaker-inlineControls" style={{ alignItems: 'center' }}>
        <span>{trans.__('API key')}</span>
        {known.length ? (
          <select
            className="jp-mod-styled"
            name="chat-key-choice"
            aria-label={trans.__('API key')}
            style={{ width: 'auto' }}
            value={chosen?.id ?? ''}
            onChange={e => session.setKey(known.find(k => k.id === e.target.value)?.key ?? '')}
          >
            <option value="">{trans.__('(paste a key)')}</option>
            {known.map(k => (
              <option key={k.id} value={k.id}>
                {k.name ? `${k.name} (${k.masked})` : k.masked}
              </option>
            ))}
          </select>
        ) : null}
        <input
          className="jp-mod-styled"
          type="password"
          name="chat-key"
          aria-label={trans.__('API key')}
          autoComplete="off"
          placeholder="emk_…"
          style={{ flex: '1 1 260px', maxWidth: 420 }}
          value={session.key}
          onChange={e => session.setKey(e.target.value)}
        />
        <button type="button" className="jp-EasyMaker-button" data-action="create-chat-key" disabled={busy} onClick={() => void create()}>
          {trans.__('Create API key')}
        </button>
      </div>
      <div className="jp-EasyMaker-help">
        {trans.__('Keys are shown once: pick one created in this page, paste one you kept, or create a new one (API keys tab to revoke).')}
      </div>
      {created ? <NewKey created={created} onDone={() => setCreated(null)} /> : null}
      {error ? <div className="jp-EasyMaker-error">{error}</div> : null}
    </div>
  );
}

export function ChatTester(props: { ctx: EasyMakerContext; rag: IRag; session: ChatSession }): JSX.Element {
  const { ctx, rag, session } = props;
  const trans = useTrans();
  useSignal(session.changed);
  const [question, setQuestion] = React.useState('');
  const end = React.useRef<HTMLDivElement>(null);
  const turns = session.turns;
  const last = turns[turns.length - 1];
  React.useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'nearest' });
  }, [turns.length, last?.answer.content.length]);
  const ready = rag.status === 'ACTIVE' || rag.status === 'UPDATE IN PROGRESS' || rag.status === 'UPDATE FAILED';
  const canSend = !session.busy && !!question.trim() && !!session.key.trim();
  const send = () => {
    if (canSend) {
      void session.send(question);
      setQuestion('');
    }
  };
  return (
    <div className="jp-EasyMaker-tryItForm" data-role="chat" style={{ maxWidth: 1100 }}>
      {!ready ? <div className="jp-EasyMaker-warning">{trans.__('The RAG answers once it is ACTIVE (now %1).', rag.status)}</div> : null}
      <KeyPicker ctx={ctx} rag={rag} session={session} />
      <div data-role="chat-turns">
        {turns.map(t => (
          <Turn key={t.id} turn={t} />
        ))}
        <div ref={end} />
      </div>
      <label>
        {trans.__('Message')}
        <textarea
          className="jp-mod-styled"
          name="chat-message"
          rows={3}
          placeholder={trans.__('Ask a question about the documents (Enter sends, Shift+Enter adds a line)')}
          value={question}
          onChange={e => setQuestion(e.target.value)}
          onKeyDown={e => {
            if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              send();
            }
          }}
        />
      </label>
      <div className="jp-EasyMaker-formButtons">
        <button type="button" className="jp-EasyMaker-button jp-mod-accept" data-action="chat-send" disabled={!canSend} onClick={send}>
          {session.busy ? trans.__('Sending…') : trans.__('Send')}
        </button>
        {session.busy ? (
          <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="chat-stop" onClick={() => session.stop()}>
            {trans.__('Stop')}
          </button>
        ) : null}
        <button type="button" className="jp-EasyMaker-button" data-action="chat-clear" disabled={!turns.length} onClick={() => session.clear()}>
          {trans.__('Clear')}
        </button>
        {!session.key.trim() ? <span className="jp-EasyMaker-help">{trans.__('An API key of this RAG is needed.')}</span> : null}
      </div>
      <div className="jp-EasyMaker-help">
        POST <code>{session.url}</code> · model <code>{rag.name}</code> · stream
      </div>
    </div>
  );
}
