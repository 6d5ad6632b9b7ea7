/** A small parser of the server-sent events format (text/event-stream). */

export interface IServerSentEvent {
  /** `message` when the stream named none. */
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser: feed it chunks of text as they arrive, get the
 * complete events back. Comments (`: keep-alive`) are dropped.
 */
export class ServerSentEventParser {
  private _buffer = '';
  private _event = '';
  private _data: string[] = [];
  private _id: string | undefined = undefined;

  push(chunk: string): IServerSentEvent[] {
    this._buffer += chunk;
    const out: IServerSentEvent[] = [];
    let newline: number;
    while ((newline = this._nextLineEnd()) >= 0) {
      let line = this._buffer.slice(0, newline);
      const skip = this._buffer[newline] === '\r' && this._buffer[newline + 1] === '\n' ? 2 : 1;
      this._buffer = this._buffer.slice(newline + skip);
      if (line.endsWith('\r')) {
        line = line.slice(0, -1);
      }
      if (line === '') {
        if (this._data.length > 0 || this._event) {
          out.push({ event: this._event || 'message', data: this._data.join('\n'), id: this._id });
        }
        this._event = '';
        this._data = [];
        continue;
      }
      if (line.startsWith(':')) {
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon >= 0 ? line.slice(0, colon) : line;
      let value = colon >= 0 ? line.slice(colon + 1) : '';
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        this._event = value;
      } else if (field === 'data') {
        this._data.push(value);
      } else if (field === 'id') {
        this._id = value;
      }
    }
    return out;
  }

  private _nextLineEnd(): number {
    const n = this._buffer.indexOf('\n');
    const r = this._buffer.indexOf('\r');
    if (r >= 0 && (n < 0 || r < n)) {
      // a lone \r at the very end may be the first half of \r\n: wait
      return r === this._buffer.length - 1 ? -1 : r;
    }
    return n;
  }
}

/** Read a fetch Response body as server-sent events until it ends or is aborted. */
export async function readServerSentEvents(
  response: Response,
  onEvent: (event: IServerSentEvent) => void,
  signal?: AbortSignal
): Promise<void> {
  const parser = new ServerSentEventParser();
  if (!response.body) {
    for (const event of parser.push((await response.text()) + '\n\n')) {
      onEvent(event);
    }
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', cancel);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        break;
      }
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        onEvent(event);
      }
    }
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}
