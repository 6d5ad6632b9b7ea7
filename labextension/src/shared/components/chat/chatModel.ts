/**
 * One conversation of a playground: its settings (system prompt,
 * temperature, top_p, max tokens, stop sequences), the model it asks (which
 * may change in the middle of the chat: the history stays and goes to the
 * new model), an optional second model that answers the same messages side
 * by side, and its turns as they stream in. No DOM: unit-tested.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { ChatFetch, EMPTY_STREAMED, IChatMessage, IChatParams, IStreamedAnswer, streamCompletion } from './openaiStream';

export interface IChatSettings {
  system: string;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
  /** Stop sequences. */
  stop: string[];
  seed: number | null;
}

export const DEFAULT_CHAT_SETTINGS: IChatSettings = { system: '', temperature: 0.7, top_p: 1, max_tokens: 512, stop: [], seed: null };

/** One model's answer in a turn. */
export interface IChatReply {
  model: string;
  answer: IStreamedAnswer;
  error: string | null;
  streaming: boolean;
  /** Milliseconds to the end of the answer. */
  ms: number | null;
  /** Milliseconds to the first token. */
  firstMs: number | null;
}

export interface IChatTurnState {
  id: number;
  user: string;
  /** The first is the main model's (the history goes on with it); a second in side-by-side mode. */
  replies: IChatReply[];
}

export interface IChatSessionOptions {
  fetch: ChatFetch;
  /** The OpenAI base URL (`…/openai/v1`). */
  baseUrl: string;
  model?: string;
  settings?: Partial<IChatSettings>;
}

export class ChatSessionModel {
  constructor(options: IChatSessionOptions) {
    this._fetch = options.fetch;
    this.baseUrl = options.baseUrl;
    this._model = options.model ?? '';
    this._settings = { ...DEFAULT_CHAT_SETTINGS, ...(options.settings ?? {}) };
  }

  readonly baseUrl: string;

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get model(): string {
    return this._model;
  }

  /** The second model of side-by-side mode ('' when off). */
  get compareModel(): string {
    return this._compare;
  }

  get settings(): IChatSettings {
    return this._settings;
  }

  get turns(): readonly IChatTurnState[] {
    return this._turns;
  }

  get busy(): boolean {
    return this._aborts.length > 0;
  }

  /** Switch the model: the conversation so far stays and is sent to the new model. */
  setModel(model: string): void {
    this._model = model;
    this._changed.emit();
  }

  /** Side by side: a second model answers the same messages ('' turns it off). */
  setCompareModel(model: string): void {
    this._compare = model;
    this._changed.emit();
  }

  setSettings(patch: Partial<IChatSettings>): void {
    this._settings = { ...this._settings, ...patch };
    this._changed.emit();
  }

  /** Request parameters of the settings. */
  params(): IChatParams {
    const s = this._settings;
    return { temperature: s.temperature, top_p: s.top_p, max_tokens: s.max_tokens, stop: s.stop, seed: s.seed };
  }

  /**
   * The messages sent with a new user message: the system prompt, then
   * each earlier turn's question and the main answer (whatever model wrote
   * it), then the new message. Both models of side-by-side get these.
   */
  messages(user: string): IChatMessage[] {
    const out: IChatMessage[] = [];
    if (this._settings.system.trim()) {
      out.push({ role: 'system', content: this._settings.system });
    }
    for (const t of this._turns) {
      const main = t.replies[0];
      if (main && !main.error && main.answer.content) {
        out.push({ role: 'user', content: t.user }, { role: 'assistant', content: main.answer.content });
      }
    }
    out.push({ role: 'user', content: user });
    return out;
  }

  /** Send a message to the model (and the second model, side by side); resolves when all answers ended. */
  async send(text: string): Promise<void> {
    const user = text.trim();
    if (!user || this.busy || !this._model) {
      return;
    }
    const models = this._compare ? [this._model, this._compare] : [this._model];
    const messages = this.messages(user);
    const params = this.params();
    const turn: IChatTurnState = {
      id: ++this._counter,
      user,
      replies: models.map(model => ({ model, answer: EMPTY_STREAMED, error: null, streaming: true, ms: null, firstMs: null }))
    };
    this._turns = [...this._turns, turn];
    this._changed.emit();
    const update = (index: number, patch: Partial<IChatReply>) => {
      this._turns = this._turns.map(t => (t.id === turn.id ? { ...t, replies: t.replies.map((r, i) => (i === index ? { ...r, ...patch } : r)) } : t));
      this._changed.emit();
    };
    const aborts = models.map(() => new AbortController());
    this._aborts = aborts;
    const started = now();
    await Promise.all(
      models.map(async (model, index) => {
        let first: number | null = null;
        try {
          await streamCompletion({
            fetch: this._fetch,
            baseUrl: this.baseUrl,
            model,
            messages,
            params,
            signal: aborts[index].signal,
            onUpdate: answer => {
              if (first === null && answer.content) {
                first = now() - started;
              }
              update(index, { answer, error: answer.error, firstMs: first });
            }
          });
          update(index, { streaming: false, ms: now() - started });
        } catch (e) {
          const aborted = (e as { name?: unknown } | null)?.name === 'AbortError';
          update(index, { streaming: false, ms: now() - started, error: aborted ? null : e instanceof Error ? e.message : String(e) });
        }
      })
    );
    this._aborts = [];
    this._changed.emit();
  }

  /** Stop the answers being written (what came stays). */
  stop(): void {
    this._aborts.forEach(a => a.abort());
  }

  clear(): void {
    this.stop();
    this._turns = [];
    this._changed.emit();
  }

  /** The conversation as text (user / assistant lines). */
  transcript(): string {
    return this._turns
      .map(t => [`user: ${t.user}`, ...t.replies.map(r => `${r.model}: ${r.answer.content}${r.error ? ` [${r.error}]` : ''}`)].join('\n'))
      .join('\n\n');
  }

  private _fetch: ChatFetch;
  private _model: string;
  private _compare = '';
  private _settings: IChatSettings;
  private _turns: IChatTurnState[] = [];
  private _counter = 0;
  private _aborts: AbortController[] = [];
  private _changed = new Signal<this, void>(this);
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

/** Stop sequences from a text box: one per line (`\n` written as `\\n`). */
export function parseStops(text: string): string[] {
  return text
    .split('\n')
    .map(s => s.replace(/\\n/g, '\n').replace(/\\t/g, '\t'))
    .filter(s => s !== '');
}

export function formatStops(stops: readonly string[]): string {
  return stops.map(s => s.replace(/\n/g, '\\n').replace(/\t/g, '\\t')).join('\n');
}
