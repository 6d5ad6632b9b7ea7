import { ServerConnection } from '@jupyterlab/services';
import { describe, expect, it } from 'vitest';

import { templatesApi } from '../src/areas/templates/api';
import { trainingsApi } from '../src/areas/trainings/api';
import { createApi } from '../src/shared/api';
import { ApiClient, ApiError, errorFromBody, queryString } from '../src/shared/api/client';

type Call = { url: string; method: string; body: unknown; headers: Headers };

/** An ApiClient whose fetch answers from a table and records the calls. */
function fakeClient(answer: (url: URL, init: RequestInit) => Response): { client: ApiClient; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const body = request.method === 'GET' ? undefined : await request.clone().text();
    // ServerConnection adds a cache-busting timestamp to GETs
    const search = url.search.replace(/[?&]\d{10,}$/, '');
    calls.push({ url: url.pathname + search, method: request.method, body: body ? JSON.parse(body) : undefined, headers: request.headers });
    return answer(url, { method: request.method });
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: 'http://localhost:8888/prefix/',
    wsUrl: 'ws://localhost:8888/prefix/',
    token: 'secret',
    fetch: fetch as typeof globalThis.fetch,
    Request,
    Headers
  });
  return { client: new ApiClient(settings), calls };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'Content-Type': 'application/json' } });

describe('ApiClient', () => {
  it('calls below the base URL with the token and parses JSON', async () => {
    const { client, calls } = fakeClient(() => json({ version: '0.1.0', capabilities: { areas: ['trainings'] } }));
    const api = createApi(client);
    const info = await api.meta.handshake();
    expect(info.capabilities.areas).toEqual(['trainings']);
    expect(calls[0].url).toBe('/prefix/easymaker/api/v1/');
    expect(calls[0].headers.get('Authorization')).toBe('token secret');
  });

  it('turns 4xx answers into ApiError with the field', async () => {
    const { client } = fakeClient(() =>
      json({ error: "algorithm.entry_point: 'x.py' is not in the algorithm path", reason: 'InvalidInput', field: 'algorithm.entry_point' }, 422)
    );
    const api = createApi(client);
    const error = await trainingsApi({ api }).create({ name: 'a' }).catch(e => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.field).toBe('algorithm.entry_point');
    expect(error.reason).toBe('InvalidInput');
  });

  it('sends list queries (status list, sort, search, experiment)', async () => {
    const { client, calls } = fakeClient(() => json({ items: [], total: 0, offset: 100, limit: 100 }));
    const api = createApi(client);
    await trainingsApi({ api }).list({ offset: 100, limit: 100, sort: '-created_at', status: ['RUNNING', 'FAIL TRAIN'], name: 'abc', experiment_id: 'e1' });
    expect(calls[0].url).toBe(
      '/prefix/easymaker/api/v1/trainings?offset=100&limit=100&sort=-created_at&status=RUNNING%2CFAIL%20TRAIN&name=abc&experiment_id=e1'
    );
  });

  it('posts stop, template and TensorBoard requests', async () => {
    const { client, calls } = fakeClient(url =>
      url.pathname.endsWith('tensorboards') ? json({ id: 'tb1', url: '/prefix/easymaker/tensorboard/tb1/', logdir: '/x', status: 'running' }) : json({ id: 't', name: 'n' })
    );
    const api = createApi(client);
    await trainingsApi({ api }).stop('my training');
    await templatesApi({ api }).fromTraining('t1', { name: 'tpl' });
    const { startTensorBoard, tensorBoardUrl } = await import('../src/areas/tensorboard/api');
    const board = await startTensorBoard(client, { training_id: 't1' });
    expect(calls.map(c => `${c.method} ${c.url}`)).toEqual([
      'POST /prefix/easymaker/api/v1/trainings/my%20training/stop',
      'POST /prefix/easymaker/api/v1/trainings/t1/template',
      'POST /prefix/easymaker/api/v1/tensorboards'
    ]);
    expect(calls[2].body).toEqual({ training_id: 't1' });
    expect(tensorBoardUrl(client.serverSettings.baseUrl, board)).toBe('http://localhost:8888/prefix/easymaker/tensorboard/tb1/');
    expect(tensorBoardUrl('http://h:1/p/', { id: 'x', url: '', logdir: '', status: '' })).toBe('http://h:1/p/easymaker/tensorboard/x/');
  });

  it('follows logs until the end event', async () => {
    const { client, calls } = fakeClient(
      () =>
        new Response('event: log\ndata: {"id": 3, "body": "a", "time": ""}\n\nevent: log\ndata: {"id": 4, "body": "b", "time": ""}\n\nevent: end\ndata: {"status": "COMPLETE"}\n\n', {
          headers: { 'Content-Type': 'text/event-stream' }
        })
    );
    const api = createApi(client);
    const bodies: string[] = [];
    const final = await trainingsApi({ api }).followLogs('t1', 2, r => bodies.push(r.body), new AbortController().signal);
    expect(final).toBe('COMPLETE');
    expect(bodies).toEqual(['a', 'b']);
    expect(calls[0].url).toBe('/prefix/easymaker/api/v1/trainings/t1/logs?follow=true&after=2');
  });

  it('makes one API object per family and client', () => {
    const a = createApi(fakeClient(() => json({})).client);
    const b = createApi(fakeClient(() => json({})).client);
    expect(trainingsApi({ api: a })).toBe(trainingsApi({ api: a }));
    expect(trainingsApi({ api: a })).not.toBe(trainingsApi({ api: b }));
    expect(trainingsApi({ api: a }).client).toBe(a.client);
  });

  it('builds query strings and error messages', () => {
    expect(queryString({ a: undefined, b: '', c: [], d: 0, e: false, f: ['x', 'y'] })).toBe('?d=0&e=false&f=x%2Cy');
    expect(errorFromBody(500, 'Server Error', 'not json').message).toBe('Server Error');
    expect(errorFromBody(404, '', '{"error": "training \'x\' does not exist", "reason": "NotFound"}').message).toBe("training 'x' does not exist");
  });
});
