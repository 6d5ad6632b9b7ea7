/**
 * The RAG area's pure parts: the chat tester's stream (SSE `data:` chunks,
 * `[DONE]`, the passages of the first chunk, refusals), the conversation,
 * the per-file results in reading order (failed first), the statistics
 * shaping, the status words' stand-ins, and the create form as rendered
 * from the schema (the default prompt template in a text area, secrets
 * masked, the vector store and LLM unions).
 */
import * as fs from 'fs';
import * as path from 'path';
import Form from '@rjsf/core';
import { customizeValidator } from '@rjsf/validator-ajv8';
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import type { IIngestionFile, IRagStats } from '../src/areas/rag/api';
import { EMPTY_ANSWER, applyChatData, answerFromJson, chatRequest, errorMessage, streamChat } from '../src/areas/rag/chat';
import { ChatSession } from '../src/areas/rag/chatSession';
import { RAG_FORM } from '../src/areas/rag/form';
import {
  curlExample,
  ingestionCounts,
  ingestionSeconds,
  openaiBaseUrl,
  orderFiles,
  podsText,
  pythonExample,
  statsSeries,
  statsTotals
} from '../src/areas/rag/shaping';
import { INGESTION_KIND, RAG_KIND, canSync, isIngestionSettled, isRagDeletable, ragStatuses, wordsOf } from '../src/areas/rag/statuses';
import { withItemDefaults } from '../src/shared/forms/body';
import { FIELDS } from '../src/shared/forms/fields';
import type { IFieldChoices, IFormContext } from '../src/shared/forms/formContext';
import { placeFields } from '../src/shared/forms/hints';
import { IOpenApiDocument, formSchema } from '../src/shared/forms/openapi';
import { buildUiSchema } from '../src/shared/forms/uiSchema';
import { WIDGETS } from '../src/shared/forms/widgets';
import { ENGLISH } from '../src/shared/i18n';

/** A response whose body arrives in the given pieces. */
function streamed(pieces: string[], init: ResponseInit = {}): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const p of pieces) {
        controller.enqueue(encoder.encode(p));
      }
      controller.close();
    }
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' }, ...init });
}

const SOURCES = [
  { file: 'md/guide.md', chunk: 3, score: 0.81, text: 'The answer is 42.' },
  { file: 'pdf/paper.pdf', chunk: 0, score: 0.52, text: 'Another passage.' }
];

function chunk(content: string | null, extra: Record<string, unknown> = {}): string {
  const delta = content === null ? { role: 'assistant' } : { content };
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
}

describe('the chat stream', () => {
  it('adds each delta, keeps the first chunk\'s sources and ends at [DONE]', () => {
    let a = EMPTY_ANSWER;
    a = applyChatData(a, JSON.stringify({ choices: [{ delta: { role: 'assistant', content: '' } }], sources: SOURCES }));
    expect(a.sources).toEqual(SOURCES);
    a = applyChatData(a, JSON.stringify({ choices: [{ delta: { content: 'The answer' } }] }));
    a = applyChatData(a, JSON.stringify({ choices: [{ delta: { content: ' is 42.' }, finish_reason: 'stop' }], sources: [] }));
    expect(a.content).toBe('The answer is 42.');
    expect(a.sources).toEqual(SOURCES); // later chunks do not replace them
    expect(a.finishReason).toBe('stop');
    expect(a.done).toBe(false);
    a = applyChatData(a, '[DONE]');
    expect(a.done).toBe(true);
  });

  it('ignores what is not JSON and reads an error chunk', () => {
    const a = applyChatData(EMPTY_ANSWER, 'keep-alive');
    expect(a).toBe(EMPTY_ANSWER);
    expect(applyChatData(EMPTY_ANSWER, JSON.stringify({ error: { message: 'the LLM is down' } })).error).toBe('the LLM is down');
    expect(applyChatData(EMPTY_ANSWER, JSON.stringify({ error: 'plain' })).error).toBe('plain');
  });

  it('reads a whole JSON answer', () => {
    const a = answerFromJson({ choices: [{ message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], sources: SOURCES });
    expect(a).toEqual({ content: 'Hi', sources: SOURCES, done: true, finishReason: 'stop', error: null });
  });

  it('names the model, the messages and stream in the request', () => {
    expect(chatRequest('my-rag', [{ role: 'user', content: 'q' }])).toEqual({ model: 'my-rag', messages: [{ role: 'user', content: 'q' }], stream: true });
  });

  it('streams through fetch: the key in Authorization, updates as chunks arrive, split anywhere', async () => {
    const sent: { url: string; init: RequestInit }[] = [];
    const text = chunk(null, { sources: SOURCES }) + chunk('The ans') + chunk('wer.') + 'data: [DONE]\n\n';
    // cut the stream in awkward places (inside a line, inside \n\n)
    const pieces = [text.slice(0, 17), text.slice(17, 150), text.slice(150, text.length - 3), text.slice(text.length - 3)];
    const fake = (async (url: string, init: RequestInit) => {
      sent.push({ url, init });
      return streamed(pieces);
    }) as unknown as typeof fetch;
    const seen: string[] = [];
    const answer = await streamChat({
      url: '/base/easymaker/rag/v1/query',
      apiKey: ' emk_12345678_secret ',
      model: 'docs',
      messages: [{ role: 'user', content: 'What?' }],
      onUpdate: a => seen.push(a.content),
      fetch: fake
    });
    expect(sent[0].url).toBe('/base/easymaker/rag/v1/query');
    expect((sent[0].init.headers as Record<string, string>).Authorization).toBe('Bearer emk_12345678_secret');
    expect(JSON.parse(String(sent[0].init.body))).toEqual({ model: 'docs', messages: [{ role: 'user', content: 'What?' }], stream: true });
    expect(answer).toEqual({ content: 'The answer.', sources: SOURCES, done: true, finishReason: null, error: null });
    expect(seen).toContain('The ans');
    expect(seen[seen.length - 1]).toBe('The answer.');
  });

  it('refuses with the server\'s message', async () => {
    const fake = (async () => new Response(JSON.stringify({ error: { message: 'invalid API key' } }), { status: 401 })) as unknown as typeof fetch;
    await expect(streamChat({ url: 'u', apiKey: 'k', model: 'm', messages: [], onUpdate: () => undefined, fetch: fake })).rejects.toThrow('HTTP 401: invalid API key');
    expect(errorMessage(404, JSON.stringify({ error: 'no RAG named x', reason: 'NotFound', field: 'model' }))).toBe('HTTP 404: no RAG named x');
    expect(errorMessage(502, 'Bad gateway')).toBe('HTTP 502: Bad gateway');
  });

  it('reads a JSON answer when the server does not stream', async () => {
    const body = JSON.stringify({ choices: [{ message: { content: 'Whole' } }], sources: SOURCES });
    const fake = (async () => new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } })) as unknown as typeof fetch;
    const answer = await streamChat({ url: 'u', apiKey: 'k', model: 'm', messages: [], onUpdate: () => undefined, fetch: fake });
    expect(answer.content).toBe('Whole');
    expect(answer.sources).toEqual(SOURCES);
  });
});

describe('a chat session', () => {
  it('sends the conversation so far, keeps each turn and its sources', async () => {
    const bodies: unknown[] = [];
    const answers = ['First answer.', 'Second answer.'];
    const fake = (async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      return streamed([chunk(null, { sources: SOURCES }), chunk(answers[bodies.length - 1]), 'data: [DONE]\n\n']);
    }) as unknown as typeof fetch;
    const session = new ChatSession('/q', () => 'docs');
    await session.send('ignored without a key', fake);
    expect(bodies).toHaveLength(0);
    session.setKey('emk_x');
    await session.send('One?', fake);
    await session.send('Two?', fake);
    expect(session.turns.map(t => [t.question, t.answer.content, t.streaming, t.error])).toEqual([
      ['One?', 'First answer.', false, null],
      ['Two?', 'Second answer.', false, null]
    ]);
    expect(session.turns[1].answer.sources).toEqual(SOURCES);
    expect((bodies[1] as { messages: unknown }).messages).toEqual([
      { role: 'user', content: 'One?' },
      { role: 'assistant', content: 'First answer.' },
      { role: 'user', content: 'Two?' }
    ]);
    session.clear();
    expect(session.turns).toEqual([]);
  });

  it('keeps a refused turn with its error, out of the next request', async () => {
    const fake = (async () => new Response('{"error": "invalid API key"}', { status: 401 })) as unknown as typeof fetch;
    const session = new ChatSession('/q', () => 'docs');
    session.setKey('bad');
    await session.send('Q', fake);
    expect(session.turns[0].error).toBe('HTTP 401: invalid API key');
    expect(session.busy).toBe(false);
    expect(session.messages('Next')).toEqual([{ role: 'user', content: 'Next' }]);
  });
});

describe('the per-file results of an ingestion', () => {
  const f = (p: string, outcome: string): IIngestionFile => ({ path: p, outcome, reason_code: null, reason: null, size_bytes: 1, chunks: 1 });

  it('put FAILED files first, then added, changed, deleted, unchanged, each by path', () => {
    const files = [f('b.md', 'unchanged'), f('z.pdf', 'failed'), f('a.md', 'added'), f('c.doc', 'deleted'), f('a.pdf', 'failed'), f('x.txt', 'changed'), f('q', 'weird')];
    expect(orderFiles(files).map(x => `${x.outcome}:${x.path}`)).toEqual([
      'failed:a.pdf',
      'failed:z.pdf',
      'added:a.md',
      'changed:x.txt',
      'deleted:c.doc',
      'unchanged:b.md',
      'weird:q'
    ]);
    expect(files[0].path).toBe('b.md'); // a new array
  });

  it('counts from the result, or from the progress while running', () => {
    const done = {
      progress: null,
      result: { files_added: 3, files_changed: 1, files_deleted: 2, files_unchanged: 40, files_failed: 4, chunks_total: 900, chunks_embedded: 30, generation: 2, reindexed: false, duration_seconds: 12.5 }
    };
    expect(ingestionCounts(done)).toEqual({ added: 3, changed: 1, deleted: 2, failed: 4, unchanged: 40, chunks: 900 });
    expect(ingestionCounts({ result: {}, progress: { files_done: 1, files_total: 5, chunks: 17, chunks_embedded: 3 } })).toEqual({
      added: null,
      changed: null,
      deleted: null,
      failed: null,
      unchanged: null,
      chunks: 17
    });
    expect(ingestionSeconds({ ...done, elapsed_seconds: 99, started_at: null, finished_at: null })).toBe(12.5);
    expect(ingestionSeconds({ result: {}, elapsed_seconds: null, started_at: '2026-01-01T00:00:00Z', finished_at: null }, Date.UTC(2026, 0, 1, 0, 1, 5))).toBe(65);
  });
});

describe('statistics, monitoring and examples', () => {
  const empty = { avg: null, max: null, p50: null, p90: null, p95: null, p99: null };
  const stats: IRagStats = {
    interval: 60,
    since: '2026-01-01T00:00:00Z',
    until: '2026-01-01T00:02:00Z',
    totals: { time: '2026-01-01T00:00:00Z', calls: 4, success: 3, failure: 1, latency_ms: { avg: 900, max: 2000, p50: 800, p90: 1500, p95: 1800, p99: 2000 } },
    points: [
      { time: '2026-01-01T00:00:00Z', calls: 0, success: 0, failure: 0, latency_ms: empty },
      { time: '2026-01-01T00:01:00Z', calls: 4, success: 3, failure: 1, latency_ms: { avg: 900, max: 2000, p50: 800, p90: 1500, p95: 1800, p99: 2000 } }
    ]
  };

  it('shapes the API statistics like the endpoints\'', () => {
    const s = statsSeries(stats);
    expect(s.x).toEqual([Date.UTC(2026, 0, 1) / 1000, Date.UTC(2026, 0, 1, 0, 1) / 1000]);
    expect(s.calls).toEqual([0, 4]);
    expect(s.p50).toEqual([null, 800]);
    expect(statsTotals(stats)).toMatchObject({ calls: 4, failure: 1, successRate: 75, p95: 1800 });
    expect(statsTotals(null).successRate).toBeNull();
  });

  it('reads the pods in any of their forms', () => {
    expect(podsText(2)).toBe('2');
    expect(podsText({ ready: 1, total: 2 })).toBe('1/2');
    expect(podsText([{ ready: true }, { phase: 'Pending' }])).toBe('1/2');
    expect(podsText(undefined)).toBe('');
  });

  it('writes curl and openai examples for the RAG', () => {
    const rag = { name: 'docs', query_url: 'http://h/base/easymaker/rag/v1/query', openai_base_url: '' };
    expect(openaiBaseUrl(rag)).toBe('http://h/base/easymaker/rag/v1');
    const curl = curlExample(rag, "What's new?");
    expect(curl).toContain('curl -N -X POST http://h/base/easymaker/rag/v1/query');
    expect(curl).toContain('Authorization: Bearer $EASYMAKER_API_KEY');
    expect(curl).toContain(`'{"model":"docs","messages":[{"role":"user","content":"What'\\''s new?"}],"stream":true}'`);
    const py = pythonExample({ ...rag, openai_base_url: 'http://h/base/easymaker/rag/v1/' }, 'Q?');
    expect(py).toContain('OpenAI(base_url="http://h/base/easymaker/rag/v1", api_key=os.environ["EASYMAKER_API_KEY"])');
    expect(py).toContain('model="docs"');
    expect(py).toContain('stream=True');
  });
});

describe('the status words of a RAG and its ingestions', () => {
  it('has the words of the area contract', () => {
    expect(ragStatuses()).toEqual(expect.arrayContaining(['CREATE REQUESTED', 'ACTIVE', 'DELETE IN PROGRESS', 'UPDATE FAILED']));
    expect(wordsOf(INGESTION_KIND).statuses).toEqual(expect.arrayContaining(['RUNNING', 'COMPLETE', 'FAILED', 'STOPPED']));
    expect(wordsOf(RAG_KIND).settled).toContain('ACTIVE');
  });

  it('blocks deleting while created or deleted, and syncing while an ingestion runs', () => {
    for (const s of ['CREATE REQUESTED', 'CREATE IN PROGRESS', 'DELETE IN PROGRESS']) {
      expect(isRagDeletable(s), s).toBe(false);
    }
    expect(isRagDeletable('ACTIVE')).toBe(true);
    expect(isRagDeletable('CREATE FAILED')).toBe(true);
    expect(isIngestionSettled('RUNNING')).toBe(false);
    expect(canSync({ status: 'ACTIVE', last_ingestion: { status: 'COMPLETE' } })).toBe(true);
    expect(canSync({ status: 'ACTIVE', last_ingestion: { status: 'RUNNING' } })).toBe(false);
    expect(canSync({ status: 'UPDATE FAILED', last_ingestion: { status: 'FAILED' } })).toBe(true);
    expect(canSync({ status: 'CREATE IN PROGRESS', last_ingestion: null })).toBe(false);
    expect(canSync({ status: 'CREATE FAILED', last_ingestion: { status: 'FAILED' } })).toBe(false);
  });
});

// -- the create form ---------------------------------------------------------------------------

const DEFAULT_TEMPLATE =
  'Answer the question using only the context below. If the context does not contain the answer, say that you do not know.\n\n' +
  'Context:\n{context}\n\nQuestion: {question}\n\nAnswer:';

/** RagCreate as pydantic writes it (the contract), while the server's document has none. */
const CONTRACT_SCHEMAS = {
  RagCreate: {
    type: 'object',
    additionalProperties: false,
    title: 'RagCreate',
    required: ['name', 'data_path', 'llm'],
    properties: {
      name: { type: 'string', title: 'Name', maxLength: 50, minLength: 1, pattern: '^[a-z0-9-]+$' },
      description: { anyOf: [{ type: 'string', maxLength: 255 }, { type: 'null' }], default: null, title: 'Description' },
      instance_type: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Instance Type' },
      instance_count: { type: 'integer', minimum: 1, maximum: 10, default: 1, title: 'Instance Count' },
      prompt_template: { type: 'string', maxLength: 8000, default: DEFAULT_TEMPLATE, title: 'Prompt Template' },
      vector_store: {
        discriminator: { propertyName: 'type', mapping: { faiss: '#/components/schemas/FaissStore', pgvector: '#/components/schemas/PgvectorStore' } },
        oneOf: [{ $ref: '#/components/schemas/FaissStore' }, { $ref: '#/components/schemas/PgvectorStore' }],
        title: 'Vector Store'
      },
      data_path: { type: 'string', minLength: 1, maxLength: 1024, title: 'Data Path' },
      chunking: { $ref: '#/components/schemas/Chunking' },
      retrieval: { $ref: '#/components/schemas/Retrieval' },
      embedding: { $ref: '#/components/schemas/Embedding' },
      llm: {
        discriminator: { propertyName: 'type', mapping: { endpoint: '#/components/schemas/EndpointLlm', external: '#/components/schemas/ExternalLlm' } },
        oneOf: [{ $ref: '#/components/schemas/EndpointLlm' }, { $ref: '#/components/schemas/ExternalLlm' }],
        title: 'Llm'
      },
      log_enabled: { type: 'boolean', default: true, title: 'Log Enabled' }
    }
  },
  FaissStore: { type: 'object', title: 'FaissStore', properties: { type: { const: 'faiss', default: 'faiss', type: 'string', title: 'Type' } } },
  PgvectorStore: {
    type: 'object',
    title: 'PgvectorStore',
    required: ['url'],
    properties: {
      type: { const: 'pgvector', default: 'pgvector', type: 'string', title: 'Type' },
      url: { type: 'string', format: 'password', writeOnly: true, title: 'Url' }
    }
  },
  Chunking: {
    type: 'object',
    title: 'Chunking',
    properties: { size: { type: 'integer', default: 800, minimum: 100, title: 'Size' }, overlap: { type: 'integer', default: 100, minimum: 0, title: 'Overlap' } }
  },
  Retrieval: {
    type: 'object',
    title: 'Retrieval',
    properties: {
      mode: { type: 'string', enum: ['hybrid', 'dense', 'bm25'], default: 'hybrid', title: 'Mode' },
      top_k: { type: 'integer', default: 5, minimum: 1, maximum: 50, title: 'Top K' }
    }
  },
  Embedding: {
    type: 'object',
    title: 'Embedding',
    properties: {
      model: { type: 'string', default: 'all-MiniLM-L6-v2', title: 'Model' },
      instance_type: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Instance Type' },
      instance_count: { type: 'integer', default: 1, minimum: 1, title: 'Instance Count' }
    }
  },
  EndpointLlm: {
    type: 'object',
    title: 'EndpointLlm',
    required: ['endpoint'],
    properties: { type: { const: 'endpoint', default: 'endpoint', type: 'string', title: 'Type' }, endpoint: { type: 'string', title: 'Endpoint' } }
  },
  ExternalLlm: {
    type: 'object',
    title: 'ExternalLlm',
    required: ['base_url', 'model'],
    properties: {
      type: { const: 'external', default: 'external', type: 'string', title: 'Type' },
      base_url: { type: 'string', title: 'Base Url' },
      model: { type: 'string', title: 'Model' },
      api_key: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Api Key' }
    }
  }
};

/** The server's document when it has RagCreate (the pytest wrapper passes it), else the contract's. */
function ragDocument(): IOpenApiDocument {
  const file = process.env.EASYMAKER_OPENAPI || path.resolve(__dirname, 'fixtures/openapi.json');
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as IOpenApiDocument;
  if (doc.components.schemas.RagCreate) {
    return doc;
  }
  return { openapi: '3.1.0', components: { schemas: { ...doc.components.schemas, ...CONTRACT_SCHEMAS } } as IOpenApiDocument['components'] };
}

const VALIDATOR = customizeValidator({ ajvOptionsOverrides: { discriminator: true } });

function renderRagForm(formData: Record<string, unknown>, choices: { [path: string]: IFieldChoices } = {}): { html: string; defaultTemplate: unknown } {
  const doc = ragDocument();
  const schema = formSchema(doc, RAG_FORM.schema, RAG_FORM.hidden);
  const uiSchema = buildUiSchema(schema, RAG_FORM, ENGLISH, { choices: new Set(Object.keys(choices)) });
  const sections = placeFields(RAG_FORM, Object.keys(schema.properties ?? {}));
  const context: IFormContext = {
    trans: ENGLISH,
    version: 1,
    sections: () => sections,
    before: () => null,
    choices: p => choices[p] ?? null,
    problems: new Map(),
    defaultFormData: {}
  };
  const html = renderToStaticMarkup(
    <Form
      schema={schema as never}
      uiSchema={uiSchema}
      formData={withItemDefaults(schema, formData)}
      formContext={context}
      validator={VALIDATOR}
      widgets={WIDGETS}
      fields={FIELDS}
      idPrefix="jp-EasyMaker-f1"
      noHtml5Validate
      showErrorList={false}
      experimental_defaultFormStateBehavior={{ arrayMinItems: { populate: 'never' } }}
    />
  );
  return { html, defaultTemplate: schema.properties?.prompt_template?.default };
}

function unescape(html: string): string {
  return html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe('the RAG create form', () => {
  it('shows the default prompt template in full in a text area, with {context} and {question} explained', () => {
    const { html, defaultTemplate } = renderRagForm({});
    expect(typeof defaultTemplate).toBe('string');
    expect(defaultTemplate).toContain('{context}');
    expect(defaultTemplate).toContain('{question}');
    const area = /<textarea[^>]*name="prompt_template"[^>]*>([\s\S]*?)<\/textarea>/.exec(html);
    expect(area, 'a prompt_template text area').not.toBeNull();
    expect(unescape(area![1])).toBe(defaultTemplate);
    expect(area![0]).toMatch(/rows="8"/);
    expect(html).toContain('{context} is replaced by the passages retrieved for the question');
  });

  it('lays the fields out in the guide\'s sections', () => {
    const { html } = renderRagForm({});
    const legends = [...html.matchAll(/<legend[^>]*>([^<]*)</g)].map(m => m[1]);
    expect(legends).toEqual(
      expect.arrayContaining(['Basic information', 'RAG resource information', 'Prompt', 'Ingestion data', 'Retrieval settings', 'Answer generation'])
    );
    expect(html).toMatch(/<(input|textarea)[^>]*name="data_path"/);
    expect(html).toMatch(/<input[^>]*name="chunking\.size"[^>]*value="800"/);
    expect(html).toMatch(/<select[^>]*name="retrieval\.mode"/);
    expect(html).toMatch(/<input[^>]*name="embedding\.model"[^>]*value="all-MiniLM-L6-v2"/);
  });

  it('offers faiss (default) or pgvector, whose connection URL is masked', () => {
    const faiss = renderRagForm({}).html;
    // a discriminated union (radios, the URL only for pgvector) or one object with a type select
    const radios = [...faiss.matchAll(/<input type="radio" name="vector_store\.type"([^>]*)>/g)].map(m => [/value="(\w+)"/.exec(m[1])?.[1], m[1].includes('checked')]);
    if (radios.length) {
      expect(radios).toEqual([
        ['faiss', true],
        ['pgvector', false]
      ]);
      expect(faiss).not.toContain('name="vector_store.url"');
    } else {
      expect(faiss).toMatch(/<select[^>]*name="vector_store\.type"[^>]*>[\s\S]*?<option value="faiss" selected="">/);
    }
    const pg = renderRagForm({ vector_store: { type: 'pgvector', url: 'postgresql://u:secret@h/db' } }).html;
    expect(pg).toMatch(/<input[^>]*name="vector_store\.url"[^>]*type="password"|<input[^>]*type="password"[^>]*name="vector_store\.url"/);
  });

  it('takes an endpoint of this product by name, or an external API whose key is masked', () => {
    const endpoints: IFieldChoices = { options: [{ value: 'llama', label: 'llama' }, { value: 'old', label: 'old (CREATE FAILED)', disabled: true }], empty: '(choose)' };
    const ep = renderRagForm({ llm: { type: 'endpoint', endpoint: 'llama' } }, { 'llm.endpoint': endpoints }).html;
    expect(ep).toMatch(/<select[^>]*name="llm\.endpoint"/);
    expect(ep).toMatch(/<option value="llama" selected="">llama<\/option>/);
    const ext = renderRagForm({ llm: { type: 'external', base_url: 'https://api.example.com/v1', model: 'gpt', api_key: 'sk-1' } }).html;
    expect(ext).toMatch(/<(input|textarea)[^>]*name="llm\.base_url"/);
    expect(ext).toMatch(/<input[^>]*name="llm\.model"/);
    expect(ext).toMatch(/<input[^>]*name="llm\.api_key"[^>]*type="password"|<input[^>]*type="password"[^>]*name="llm\.api_key"/);
  });
});

describe('masked inputs and growing text areas (form hints)', () => {
  it('masks a field the hints name, or one whose schema says format: password', () => {
    const schema = {
      type: 'object',
      properties: { token: { type: 'string', format: 'password' }, url: { type: 'string' }, notes: { type: 'string' }, plain: { type: 'string' } }
    };
    const ui = buildUiSchema(schema, { schema: 'X', sections: [], labels: {}, hidden: [], passwords: ['url'], textareas: { notes: 5 } }, ENGLISH, {
      choices: new Set()
    }) as Record<string, Record<string, unknown>>;
    for (const name of ['token', 'url']) {
      expect(ui[name]['ui:widget'], name).toBe('text');
      expect(ui[name]['ui:options'], name).toMatchObject({ path: name, inputType: 'password' });
    }
    expect(ui.notes['ui:widget']).toBe('textarea');
    expect(ui.notes['ui:options']).toEqual({ path: 'notes', rows: 5 });
    expect(ui.plain['ui:widget']).toBeUndefined();
  });
});
