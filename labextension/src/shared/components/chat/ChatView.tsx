/**
 * The streaming chat of the playgrounds (LLM studio, model files): the
 * model picker (switching keeps the conversation), side by side (a second
 * model answers the same messages), the system prompt and sampling
 * settings, prompt suggestions as chips, and the turns as they stream in.
 * Its labels come translated from the area that shows it (`labels`).
 */
import * as React from 'react';

import { useSignal } from '../hooks';
import { ChatSessionModel, IChatReply, formatStops, parseStops } from './chatModel';

export interface IChatLabels {
  model: string;
  compare: string;
  off: string;
  system: string;
  systemPlaceholder: string;
  temperature: string;
  topP: string;
  maxTokens: string;
  stop: string;
  stopHelp: string;
  seed: string;
  message: string;
  messagePlaceholder: string;
  send: string;
  sending: string;
  stopAnswer: string;
  clear: string;
  you: string;
  writing: string;
  noModel: string;
  suggestions: string;
  settings: string;
  reload: string;
  firstToken: string;
}

export const ENGLISH_CHAT_LABELS: IChatLabels = {
  model: 'Model',
  compare: 'Side by side with',
  off: '(off)',
  system: 'System prompt',
  systemPlaceholder: 'You are a helpful assistant.',
  temperature: 'Temperature',
  topP: 'Top P',
  maxTokens: 'Max tokens',
  stop: 'Stop sequences',
  stopHelp: 'One per line (\\n for a line break)',
  seed: 'Seed',
  message: 'Message',
  messagePlaceholder: 'Write a message (Enter sends, Shift+Enter adds a line)',
  send: 'Send',
  sending: 'Sending…',
  stopAnswer: 'Stop',
  clear: 'Clear',
  you: 'You',
  writing: 'writing…',
  noModel: 'No model can answer: load a model first.',
  suggestions: 'Suggestions',
  settings: 'Settings',
  reload: 'Reload models',
  firstToken: 'first token'
};

export interface IChatModelChoice {
  id: string;
  label: string;
  disabled?: boolean;
  title?: string;
}

export interface IChatSuggestion {
  title?: string;
  content: string;
}

export interface IChatViewProps {
  session: ChatSessionModel;
  models: readonly IChatModelChoice[];
  labels?: IChatLabels;
  /** Prompt suggestions of the chosen model (clicking fills the message box). */
  suggestions?: readonly IChatSuggestion[];
  /** Text to put in the message box (a rendered prompt template); applied when it changes. */
  draft?: { text: string; seq: number } | null;
  onReloadModels?(): void;
  /** Shown above the conversation (a warning, a note). */
  notice?: React.ReactNode;
}

const row: React.CSSProperties = { display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center' };
const num: React.CSSProperties = { width: 90 };

function numberOrNull(text: string): number | null {
  if (text.trim() === '') {
    return null;
  }
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

function ms(value: number | null): string {
  if (value === null) {
    return '';
  }
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function Reply(props: { reply: IChatReply; labels: IChatLabels }): JSX.Element {
  const { reply, labels } = props;
  return (
    <div
      className="jp-EasyMaker-chatReply"
      data-role="chat-reply"
      data-model={reply.model}
      data-streaming={reply.streaming ? 'true' : 'false'}
      style={{ flex: '1 1 0', minWidth: 240, border: '1px solid var(--jp-border-color2)', borderRadius: 4, padding: 8, background: 'var(--jp-layout-color1)' }}
    >
      <div className="jp-EasyMaker-help" data-role="reply-meta">
        <b>{reply.model}</b>
        {reply.streaming ? ` · ${labels.writing}` : reply.ms !== null ? ` · ${ms(reply.ms)}` : ''}
        {reply.firstMs !== null ? ` · ${labels.firstToken} ${ms(reply.firstMs)}` : ''}
        {reply.answer.usage?.completion_tokens ? ` · ${reply.answer.usage.completion_tokens} tokens` : ''}
        {reply.answer.finishReason && reply.answer.finishReason !== 'stop' ? ` · ${reply.answer.finishReason}` : ''}
      </div>
      <div data-role="answer" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', minHeight: '1.4em', fontFamily: 'var(--jp-content-font-family)', fontSize: 'var(--jp-content-font-size1)' }}>
        {reply.answer.content}
      </div>
      {reply.error ? (
        <div className="jp-EasyMaker-error" data-role="chat-error">
          {reply.error}
        </div>
      ) : null}
    </div>
  );
}

function Settings(props: { session: ChatSessionModel; labels: IChatLabels }): JSX.Element {
  const { session, labels } = props;
  const s = session.settings;
  const [stops, setStops] = React.useState(formatStops(s.stop));
  return (
    <details className="jp-EasyMaker-section" data-role="chat-settings" open>
      <summary className="jp-EasyMaker-groupTitle">{labels.settings}</summary>
      <label style={{ display: 'block' }}>
        {labels.system}
        <textarea
          className="jp-mod-styled"
          name="chat-system"
          rows={2}
          style={{ width: '100%', boxSizing: 'border-box' }}
          placeholder={labels.systemPlaceholder}
          value={s.system}
          onChange={e => session.setSettings({ system: e.target.value })}
        />
      </label>
      <div style={row}>
        <label>
          {labels.temperature}{' '}
          <input className="jp-mod-styled" style={num} type="number" name="chat-temperature" min={0} max={2} step={0.1} value={s.temperature ?? ''} onChange={e => session.setSettings({ temperature: numberOrNull(e.target.value) })} />
        </label>
        <label>
          {labels.topP}{' '}
          <input className="jp-mod-styled" style={num} type="number" name="chat-top-p" min={0} max={1} step={0.05} value={s.top_p ?? ''} onChange={e => session.setSettings({ top_p: numberOrNull(e.target.value) })} />
        </label>
        <label>
          {labels.maxTokens}{' '}
          <input className="jp-mod-styled" style={num} type="number" name="chat-max-tokens" min={1} step={1} value={s.max_tokens ?? ''} onChange={e => session.setSettings({ max_tokens: numberOrNull(e.target.value) })} />
        </label>
        <label>
          {labels.seed}{' '}
          <input className="jp-mod-styled" style={num} type="number" name="chat-seed" step={1} value={s.seed ?? ''} onChange={e => session.setSettings({ seed: numberOrNull(e.target.value) })} />
        </label>
        <label title={labels.stopHelp}>
          {labels.stop}{' '}
          <textarea
            className="jp-mod-styled"
            name="chat-stop"
            rows={1}
            style={{ width: 180, verticalAlign: 'middle' }}
            placeholder={labels.stopHelp}
            value={stops}
            onChange={e => {
              setStops(e.target.value);
              session.setSettings({ stop: parseStops(e.target.value) });
            }}
          />
        </label>
      </div>
    </details>
  );
}

export function ChatView(props: IChatViewProps): JSX.Element {
  const { session, models } = props;
  const labels = props.labels ?? ENGLISH_CHAT_LABELS;
  useSignal(session.changed);
  const [text, setText] = React.useState('');
  const end = React.useRef<HTMLDivElement>(null);
  const turns = session.turns;
  const last = turns[turns.length - 1];
  const lastLength = last ? last.replies.reduce((n, r) => n + r.answer.content.length, 0) : 0;
  React.useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'nearest' });
  }, [turns.length, lastLength]);
  const draftSeq = props.draft?.seq;
  React.useEffect(() => {
    if (props.draft) {
      setText(props.draft.text);
    }
  }, [draftSeq]);
  // the chosen model is one of the choices (the first enabled otherwise)
  React.useEffect(() => {
    const usable = models.filter(m => !m.disabled);
    if (usable.length && !usable.some(m => m.id === session.model)) {
      session.setModel(usable[0].id);
    }
  }, [models]);
  const chosenUsable = models.some(m => m.id === session.model && !m.disabled);
  const canSend = !session.busy && !!text.trim() && !!session.model && chosenUsable;
  const send = () => {
    if (canSend) {
      void session.send(text);
      setText('');
    }
  };
  const options = (withOff: boolean) => (
    <>
      {withOff ? <option value="">{labels.off}</option> : null}
      {models.map(m => (
        <option key={m.id} value={m.id} disabled={m.disabled} title={m.title}>
          {m.label}
        </option>
      ))}
    </>
  );
  return (
    <div className="jp-EasyMaker-chat" data-role="chat" style={{ display: 'flex', flexDirection: 'column', gap: 8, maxWidth: 1400 }}>
      <div style={row}>
        <label>
          {labels.model}{' '}
          <select className="jp-mod-styled" name="chat-model" style={{ width: 'auto', minWidth: 200, maxWidth: 420 }} value={session.model} onChange={e => session.setModel(e.target.value)}>
            {!session.model ? (
              <option value="" disabled>
                {labels.off}
              </option>
            ) : null}
            {session.model && !models.some(m => m.id === session.model) ? <option value={session.model}>{session.model}</option> : null}
            {options(false)}
          </select>
        </label>
        <label>
          {labels.compare}{' '}
          <select className="jp-mod-styled" name="chat-compare" style={{ width: 'auto', minWidth: 160, maxWidth: 420 }} value={session.compareModel} onChange={e => session.setCompareModel(e.target.value)}>
            {options(true)}
          </select>
        </label>
        {props.onReloadModels ? (
          <button type="button" className="jp-EasyMaker-button" data-action="chat-reload-models" onClick={() => props.onReloadModels?.()}>
            {labels.reload}
          </button>
        ) : null}
      </div>
      {!models.some(m => !m.disabled) ? <div className="jp-EasyMaker-warning" data-role="chat-no-model">{labels.noModel}</div> : null}
      {props.notice}
      <Settings session={session} labels={labels} />
      {props.suggestions && props.suggestions.length ? (
        <div style={row} data-role="chat-suggestions">
          <span className="jp-EasyMaker-help">{labels.suggestions}</span>
          {props.suggestions.map((s, i) => (
            <button
              key={i}
              type="button"
              className="jp-EasyMaker-button jp-EasyMaker-chip"
              data-role="chat-suggestion"
              title={s.content}
              style={{ borderRadius: 12 }}
              onClick={() => setText(s.content)}
            >
              {s.title || (s.content.length > 60 ? `${s.content.slice(0, 60)}…` : s.content)}
            </button>
          ))}
        </div>
      ) : null}
      <div data-role="chat-turns" style={{ display: 'flex', flexDirection: 'column', gap: 10 }}>
        {turns.map(t => (
          <div key={t.id} data-role="chat-turn" data-streaming={t.replies.some(r => r.streaming) ? 'true' : 'false'}>
            <div className="jp-EasyMaker-help">{labels.you}</div>
            <div data-role="question" style={{ whiteSpace: 'pre-wrap', marginBottom: 4 }}>
              {t.user}
            </div>
            <div style={{ display: 'flex', gap: 8, flexWrap: 'wrap' }} data-role="chat-replies">
              {t.replies.map((r, i) => (
                <Reply key={i} reply={r} labels={labels} />
              ))}
            </div>
          </div>
        ))}
        <div ref={end} />
      </div>
      <label style={{ display: 'block' }}>
        {labels.message}
        <textarea
          className="jp-mod-styled"
          name="chat-message"
          rows={3}
          style={{ width: '100%', boxSizing: 'border-box' }}
          placeholder={labels.messagePlaceholder}
          value={text}
          onChange={e => setText(e.target.value)}
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
          {session.busy ? labels.sending : labels.send}
        </button>
        {session.busy ? (
          <button type="button" className="jp-EasyMaker-button jp-mod-warn" data-action="chat-stop" onClick={() => session.stop()}>
            {labels.stopAnswer}
          </button>
        ) : null}
        <button type="button" className="jp-EasyMaker-button" data-action="chat-clear" disabled={!turns.length} onClick={() => session.clear()}>
          {labels.clear}
        </button>
        <span className="jp-EasyMaker-help">
          POST <code>{session.baseUrl}/chat/completions</code> · stream
        </span>
      </div>
    </div>
  );
}
