/**
 * One conversation of the chat tester with a RAG: its turns (question,
 * answer as it streams, passages, error) and the API key it is asked with.
 * Owned by the detail tab, so that it survives switching tabs. No DOM.
 */
import { ISignal, Signal } from '@lumino/signaling';

import { EMPTY_ANSWER, IChatAnswer, IChatMessage, streamChat } from './chat';

export interface IChatTurn {
  id: number;
  question: string;
  answer: IChatAnswer;
  /** The request was refused or broke off. */
  error: string | null;
  /** Time to the end of the answer. */
  ms: number | null;
  streaming: boolean;
}

/** One conversation with a RAG: its turns and the key it is asked with. */
export class ChatSession {
  constructor(
    readonly url: string,
    private readonly _model: () => string
  ) {}

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get turns(): readonly IChatTurn[] {
    return this._turns;
  }

  get busy(): boolean {
    return this._abort !== null;
  }

  /** The API key questions are sent with. */
  key = '';

  setKey(key: string): void {
    this.key = key;
    this._changed.emit();
  }

  /** The messages of the turns answered so far, then the new question. */
  messages(question: string): IChatMessage[] {
    const out: IChatMessage[] = [];
    for (const t of this._turns) {
      if (!t.error && t.answer.content) {
        out.push({ role: 'user', content: t.question }, { role: 'assistant', content: t.answer.content });
      }
    }
    out.push({ role: 'user', content: question });
    return out;
  }

  async send(question: string, fetcher?: typeof fetch): Promise<void> {
    const text = question.trim();
    if (!text || this.busy || !this.key.trim()) {
      return;
    }
    const abort = new AbortController();
    this._abort = abort;
    const messages = this.messages(text);
    const turn: IChatTurn = { id: ++this._counter, question: text, answer: EMPTY_ANSWER, error: null, ms: null, streaming: true };
    this._turns = [...this._turns, turn];
    this._changed.emit();
    const started = performance.now();
    const update = (patch: Partial<IChatTurn>) => {
      this._turns = this._turns.map(t => (t.id === turn.id ? { ...t, ...patch } : t));
      this._changed.emit();
    };
    try {
      await streamChat({
        url: this.url,
        apiKey: this.key,
        model: this._model(),
        messages,
        signal: abort.signal,
        fetch: fetcher,
        onUpdate: answer => update({ answer, error: answer.error })
      });
      update({ streaming: false, ms: performance.now() - started });
    } catch (e) {
      const aborted = (e as { name?: unknown } | null)?.name === 'AbortError';
      update({ streaming: false, ms: performance.now() - started, error: aborted ? null : e instanceof Error ? e.message : String(e) });
    } finally {
      this._abort = null;
      this._changed.emit();
    }
  }

  /** Stop the answer being written (what came stays). */
  stop(): void {
    this._abort?.abort();
  }

  clear(): void {
    this.stop();
    this._turns = [];
    this._changed.emit();
  }

  private _turns: IChatTurn[] = [];
  private _counter = 0;
  private _abort: AbortController | null = null;
  private _changed = new Signal<this, void>(this);
}
