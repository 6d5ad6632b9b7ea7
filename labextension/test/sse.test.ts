import { describe, expect, it } from 'vitest';

import { ServerSentEventParser, readServerSentEvents } from '../src/shared/api/sse';

describe('ServerSentEventParser', () => {
  it('parses events split across chunks, skipping comments', () => {
    const p = new ServerSentEventParser();
    expect(p.push(': connected\n\nid: 1\nevent: cha')).toEqual([]);
    expect(p.push('nge\ndata: {"a":1}\n')).toEqual([]);
    expect(p.push('\n: keep-alive\n\n')).toEqual([{ event: 'change', data: '{"a":1}', id: '1' }]);
  });

  it('joins multi-line data and handles CRLF', () => {
    const p = new ServerSentEventParser();
    expect(p.push('data: one\r\ndata: two\r\n\r\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: undefined }]);
  });

  it('waits for the second half of a CRLF', () => {
    const p = new ServerSentEventParser();
    expect(p.push('event: end\r')).toEqual([]);
    expect(p.push('\ndata: {}\r\n\r\n')).toEqual([{ event: 'end', data: '{}', id: undefined }]);
  });

  it('reads a fetch body stream', async () => {
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('event: log\ndata: {"id": 1}\n\n'));
        controller.enqueue(encoder.encode('event: end\ndata: {"status": "COMPLETE"}\n\n'));
        controller.close();
      }
    });
    const seen: string[] = [];
    await readServerSentEvents(new Response(body), e => seen.push(`${e.event}:${e.data}`));
    expect(seen).toEqual(['log:{"id": 1}', 'end:{"status": "COMPLETE"}']);
  });
});
