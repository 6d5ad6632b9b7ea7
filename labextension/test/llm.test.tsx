/**
 * The LLM studio's pure parts and the shared chat: OpenAI chunks read from a
 * stream cut anywhere, the request body, refusals in OpenAI's error shape;
 * the conversation (switching the model keeps the history and sends it to
 * the new model; side by side sends the same messages to both models); the
 * status -> actions mapping and Korean labels; name chips; the loss chart's
 * data; prompt template variables; the playground's model picker.
 */
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import type { ILlmModel } from '../src/areas/llm/api';
import { alignSeries, withPoint } from '../src/areas/llm/chartData';
import { finetuneBody } from '../src/areas/llm/form';
import { ProgressView, ResultView } from '../src/areas/llm/progress';
import { nameChips } from '../src/areas/llm/parts';
import { modelChoices, templateVariables } from '../src/areas/llm/shaping';
import { actionStates, actionsOf, allowedActions, formatEta, llmSettled, llmStatuses, statusLabelKo } from '../src/areas/llm/statuses';
import { ChatSessionModel, formatStops, parseStops } from '../src/shared/components/chat/chatModel';
import { ChatView } from '../src/shared/components/chat/ChatView';
import {
  ChatStreamError,
  EMPTY_STREAMED,
  answerOfJson,
  applyChunk,
  chatBody,
  completionsUrl,
  errorOfResponse,
  listModels,
  streamCompletion
} from '../src/shared/components/chat/openaiStream';

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

function chunk(content: string | null, model = 'm', finish: string | null = null): string {
  const delta = content === null ? { role: 'assistant' } : { content };
  return `data: ${JSON.stringify({ object: 'chat.completion.chunk', model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** A fake server: records each request, answers `reply(model)` streamed in small pieces. */
function fakeServer(reply: (model: string, body: any) => string) {
  const calls: { url: string; body: any }[] = [];
  const fetcher = async (url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body));
    calls.push({ url, body });
    const text = chunk(null, body.model) + reply(body.model, body).split(' ').map((w, i) => chunk(i ? ` ${w}` : w, body.model)).join('') + chunk('', body.model, 'stop') + 'data: [DONE]\n\n';
    const pieces: string[] = [];
    for (let i = 0; i < text.length; i += 7) {
      pieces.push(text.slice(i, i + 7));
    }
    return streamed(pieces);
  };
  return { calls, fetcher };
}

function model(patch: Partial<ILlmModel>): ILlmModel {
  return {
    id: 'id1',
    name: 'm',
    description: '',
    status: 'TRAINED',
    status_reason: '',
    created_at: '',
    updated_at: '',
    type: 'base',
    kind: 'instruction',
    format: 'gguf',
    context_length: 8192,
    parameters_label: '135M',
    name_info: null,
    base_model: null,
    finetune: null,
    progress: null,
    result: null,
    outputs: null,
    loaded: null,
    actions: [],
    ...patch
  };
}

describe('OpenAI chunks', () => {
  it('adds deltas, keeps the model and finish reason, ends at [DONE]', () => {
    let a = EMPTY_STREAMED;
    a = applyChunk(a, JSON.stringify({ model: 'smol', choices: [{ delta: { role: 'assistant' } }] }));
    a = applyChunk(a, JSON.stringify({ choices: [{ delta: { content: 'Hel' } }] }));
    a = applyChunk(a, JSON.stringify({ choices: [{ delta: { content: 'lo' }, finish_reason: 'stop' }], usage: { completion_tokens: 2 } }));
    expect(a).toMatchObject({ content: 'Hello', model: 'smol', finishReason: 'stop', done: false, usage: { completion_tokens: 2 } });
    expect(applyChunk(a, '[DONE]').done).toBe(true);
    expect(applyChunk(a, ': keep-alive')).toBe(a);
    expect(applyChunk(a, JSON.stringify({ error: { message: 'model unloaded' } })).error).toBe('model unloaded');
  });

  it('reads completions (text) and whole JSON answers', () => {
    expect(applyChunk(EMPTY_STREAMED, JSON.stringify({ choices: [{ text: 'abc' }] })).content).toBe('abc');
    expect(answerOfJson({ model: 'x', choices: [{ message: { content: 'Hi' }, finish_reason: 'length' }] })).toMatchObject({ content: 'Hi', done: true, finishReason: 'length', model: 'x' });
  });

  it('leaves empty parameters out of the body', () => {
    expect(chatBody('m', [{ role: 'user', content: 'q' }], { temperature: 0.2, top_p: null, max_tokens: 16, stop: ['', '###'] })).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'q' }],
      stream: true,
      temperature: 0.2,
      max_tokens: 16,
      stop: ['###']
    });
    expect(completionsUrl('/base/easymaker/api/v1/llm/openai/v1/')).toBe('/base/easymaker/api/v1/llm/openai/v1/chat/completions');
  });

  it('streams through the given fetch, split anywhere', async () => {
    const { calls, fetcher } = fakeServer(() => 'one two three');
    const seen: string[] = [];
    const answer = await streamCompletion({ fetch: fetcher, baseUrl: '/b/openai/v1', model: 'smol', messages: [{ role: 'user', content: 'count' }], onUpdate: a => seen.push(a.content) });
    expect(calls[0].url).toBe('/b/openai/v1/chat/completions');
    expect(calls[0].body).toEqual({ model: 'smol', messages: [{ role: 'user', content: 'count' }], stream: true });
    expect(answer).toMatchObject({ content: 'one two three', done: true, finishReason: 'stop', model: 'smol' });
    expect(seen.length).toBeGreaterThan(3);
  });

  it('throws the OpenAI error message of a refusal', async () => {
    const refuse = async () =>
      new Response(JSON.stringify({ error: { message: "model 'smol' is not loaded: load it first", type: 'invalid_request_error', param: 'model', code: 'model_not_loaded' } }), {
        status: 409,
        headers: { 'Content-Type': 'application/json' }
      });
    const p = streamCompletion({ fetch: refuse, baseUrl: '/b', model: 'smol', messages: [{ role: 'user', content: 'x' }], onUpdate: () => undefined });
    await expect(p).rejects.toBeInstanceOf(ChatStreamError);
    await expect(p).rejects.toThrow("HTTP 409: model 'smol' is not loaded: load it first");
    expect(errorOfResponse(500, 'boom')).toBe('HTTP 500: boom');
  });

  it('lists models', async () => {
    const f = async (url: string) => new Response(JSON.stringify({ object: 'list', data: [{ id: 'a', loaded: true }] }), { status: 200, headers: { 'Content-Type': 'application/json' } });
    expect(await listModels(f, '/b/v1')).toEqual([{ id: 'a', loaded: true }]);
  });
});

describe('the chat session', () => {
  it('switching the model in the middle of a chat keeps the history and sends it to the new model', async () => {
    const { calls, fetcher } = fakeServer(m => `answer of ${m}`);
    const chat = new ChatSessionModel({ fetch: fetcher, baseUrl: '/b/v1', model: 'smol', settings: { system: 'Be brief.', temperature: 0.5, top_p: null, max_tokens: 32, stop: ['###'] } });
    await chat.send('first question');
    expect(chat.turns[0].replies[0]).toMatchObject({ model: 'smol', streaming: false, error: null });
    expect(chat.turns[0].replies[0].answer.content).toBe('answer of smol');
    chat.setModel('tuned');
    await chat.send('second question');
    expect(calls.map(c => c.body.model)).toEqual(['smol', 'tuned']);
    expect(calls[1].body.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first question' },
      { role: 'assistant', content: 'answer of smol' },
      { role: 'user', content: 'second question' }
    ]);
    expect(calls[1].body).toMatchObject({ temperature: 0.5, max_tokens: 32, stop: ['###'], stream: true });
    expect(calls[1].body.top_p).toBeUndefined();
    expect(chat.turns.map(t => t.replies[0].model)).toEqual(['smol', 'tuned']);
    expect(chat.transcript()).toContain('tuned: answer of tuned');
  });

  it('side by side sends the same messages to both models and shows both answers', async () => {
    const { calls, fetcher } = fakeServer(m => `from ${m}`);
    const chat = new ChatSessionModel({ fetch: fetcher, baseUrl: '/b/v1', model: 'a' });
    await chat.send('hello');
    chat.setCompareModel('b');
    await chat.send('again');
    const last = calls.slice(1);
    expect(last.map(c => c.body.model).sort()).toEqual(['a', 'b']);
    expect(last[0].body.messages).toEqual(last[1].body.messages);
    expect(last[0].body.messages).toEqual([
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'from a' },
      { role: 'user', content: 'again' }
    ]);
    const turn = chat.turns[1];
    expect(turn.replies.map(r => [r.model, r.answer.content])).toEqual([
      ['a', 'from a'],
      ['b', 'from b']
    ]);
    // the main model's answer continues the history
    chat.setCompareModel('');
    await chat.send('third');
    expect(calls[calls.length - 1].body.messages.filter((m: any) => m.role === 'assistant').map((m: any) => m.content)).toEqual(['from a', 'from a']);
  });

  it('keeps a refused answer as an error and leaves it out of the history', async () => {
    let n = 0;
    const fetcher = async (_url: string, init: RequestInit) => {
      n += 1;
      if (n === 1) {
        return new Response(JSON.stringify({ error: { message: 'not loaded' } }), { status: 409 });
      }
      return streamed([chunk('ok'), 'data: [DONE]\n\n']);
    };
    const chat = new ChatSessionModel({ fetch: fetcher, baseUrl: '/b', model: 'x' });
    await chat.send('q1');
    expect(chat.turns[0].replies[0].error).toBe('HTTP 409: not loaded');
    expect(chat.messages('q2')).toEqual([{ role: 'user', content: 'q2' }]);
    expect(chat.busy).toBe(false);
  });

  it('reads stop sequences one per line', () => {
    expect(parseStops('###\n\\n\\nUser:\n')).toEqual(['###', '\n\nUser:']);
    expect(formatStops(['###', '\n\nUser:'])).toBe('###\n\\n\\nUser:');
  });

  it('renders the conversation, both replies side by side, and the pickers', () => {
    const chat = new ChatSessionModel({ fetch: async () => new Response(''), baseUrl: '/b/v1', model: 'a' });
    chat.setCompareModel('b');
    const html = renderToStaticMarkup(<ChatView session={chat} models={[{ id: 'a', label: 'a' }, { id: 'b', label: 'b' }, { id: 'c', label: 'c (학습 완료)', disabled: true }]} suggestions={[{ title: 'Hi', content: 'Say hi' }]} />);
    expect(html).toContain('name="chat-model"');
    expect(html).toContain('name="chat-compare"');
    expect(html).toContain('data-role="chat-suggestion"');
    expect(html).toMatch(/<option value="c" disabled="">/);
    expect(html).toContain('name="chat-temperature"');
    expect(html).toContain('name="chat-stop"');
  });
});

describe('statuses and actions', () => {
  it('maps each status to the actions it allows', () => {
    expect(actionsOf(model({ status: 'RUNNING' }))).toEqual(['unload', 'chat']);
    expect(actionsOf(model({ status: 'TRAINED' }))).toEqual(['load', 'delete']);
    expect(actionsOf(model({ status: 'TRAINING', type: 'fine-tuned' }))).toEqual(['stop']);
    expect(actionsOf(model({ status: 'TRAINING CANCELLED', type: 'fine-tuned' }))).toEqual(['restart', 'delete']);
    expect(actionsOf(model({ status: 'ERROR', type: 'fine-tuned' }))).toEqual(['restart', 'delete']);
    expect(actionsOf(model({ status: 'ERROR', type: 'fine-tuned', outputs: { merged: '/m' } }))).toEqual(['load', 'restart', 'delete']);
    expect(actionsOf(model({ status: 'ERROR' }))).toEqual(['load', 'delete']);
  });

  it('prefers the actions the server sends, and disables all but Stop while TRAINING', () => {
    expect([...allowedActions(model({ status: 'TRAINED', actions: ['load'] }))]).toEqual(['load']);
    const training = actionStates(model({ status: 'TRAINING', type: 'fine-tuned', actions: ['stop'] }));
    expect(training.filter(a => a.allowed).map(a => a.action)).toEqual(['stop']);
    expect(training.map(a => a.action)).toEqual(['load', 'unload', 'stop', 'restart', 'delete']);
  });

  it('takes the status words from the generated module (the server\'s state machine)', () => {
    expect(llmStatuses()).toEqual(['RUNNING', 'TRAINED', 'TRAINING', 'TRAINING CANCELLED', 'ERROR']);
    expect(llmSettled()).not.toContain('TRAINING');
  });

  it('labels statuses in Korean, with the progress while training', () => {
    expect(statusLabelKo(model({ status: 'RUNNING' }))).toBe('실행 중');
    expect(statusLabelKo(model({ status: 'TRAINED' }))).toBe('학습 완료');
    expect(statusLabelKo(model({ status: 'TRAINING', progress: { percent: 42.7 } }))).toBe('학습 중 42%');
    expect(statusLabelKo(model({ status: 'TRAINING CANCELLED' }))).toBe('학습 취소');
    expect(statusLabelKo(model({ status: 'ERROR', status_label_ko: '오류' }))).toBe('오류');
    expect(formatEta(65)).toBe('1m 05s');
    expect(formatEta(3720)).toBe('1h 02m');
    expect(formatEta(null)).toBe('');
  });
});

describe('LLM studio parts', () => {
  it('shows what the name says as chips', () => {
    expect(nameChips({ family: 'Qwen3', size: '30B', active_params: '3B', moe: true, chat: false, instruct: true, quantization: 'Q4_K_M', format: 'gguf' }).map(c => c.text)).toEqual([
      'Qwen3',
      '30B (3B active)',
      'MoE',
      'instruct',
      'Q4_K_M',
      'gguf'
    ]);
    expect(nameChips(null, 'huggingface')).toEqual([{ key: 'format', text: 'huggingface' }]);
  });

  it('aligns loss and eval loss on one step axis and adds the live point', () => {
    const metrics = {
      metrics: [
        { name: 'loss', steps: [1, 2, 3, 4], values: [2.3, 2.1, 1.9, 1.8] },
        { name: 'eval_loss', steps: [2, 4], values: [2.0, 1.7] }
      ],
      usage: []
    };
    const a = alignSeries(metrics, ['loss', 'eval_loss']);
    expect(a.x).toEqual([1, 2, 3, 4]);
    expect(a.series[1].values).toEqual([null, 2.0, null, 1.7]);
    const more = withPoint(metrics, 5, { loss: 1.7, eval_loss: null });
    expect(more!.metrics[0].steps).toEqual([1, 2, 3, 4, 5]);
    expect(withPoint(metrics, 4, { loss: 1.8 })).toBe(metrics);
    expect(alignSeries(null, ['loss']).x).toEqual([]);
  });

  it('sends target modules typed as text as a list (or all-linear)', () => {
    expect(finetuneBody({ name: 'x', lora: { r: 8, target_modules: 'q_proj, v_proj k_proj' } })).toEqual({ name: 'x', lora: { r: 8, target_modules: ['q_proj', 'v_proj', 'k_proj'] } });
    expect(finetuneBody({ lora: { target_modules: 'all-linear' } })).toEqual({ lora: { target_modules: 'all-linear' } });
    expect(finetuneBody({ lora: { r: 4, target_modules: ' ' } })).toEqual({ lora: { r: 4 } });
    expect(finetuneBody({ name: 'y' })).toEqual({ name: 'y' });
  });

  it('finds template variables once each', () => {
    expect(templateVariables('Translate {{text}} to {{ language }}; again {{text}}.')).toEqual(['text', 'language']);
    expect(templateVariables('{{text}}', 'You speak {{tone}}.')).toEqual(['tone', 'text']);
  });

  it('offers RUNNING models to chat and shows the others disabled', () => {
    const choices = modelChoices([
      model({ name: 'smol', status: 'RUNNING', loaded: { address: 'http://127.0.0.1:9' } }),
      model({ name: 'warming', status: 'RUNNING', loaded: { keep_alive_seconds: 300 } }),
      model({ name: 'just-asked', status: 'RUNNING', loaded: null }),
      model({ name: 'minilm', kind: 'embedding' }),
      model({ name: 'tuned', status: 'TRAINED', type: 'fine-tuned' })
    ]);
    expect(choices).toEqual([
      { id: 'smol', label: 'smol' },
      { id: 'warming', label: 'warming (starting…)', disabled: true, title: 'RUNNING' },
      { id: 'just-asked', label: 'just-asked (starting…)', disabled: true, title: 'RUNNING' },
      { id: 'tuned', label: 'tuned (학습 완료)', disabled: true, title: 'TRAINED' }
    ]);
  });

  it('renders the progress and the result', () => {
    const tuned = model({
      type: 'fine-tuned',
      status: 'TRAINING',
      progress: { percent: 50, step: 5, total_steps: 10, loss: 1.5, eval_loss: 1.6, tokens_per_s: 800, eta_s: 30 },
      result: { eval_loss_before: 2.5, eval_loss: 1.4, perplexity_before: 12.2, perplexity: 4.05 },
      outputs: { adapter: '/o/adapter', merged: '/o/merged', modelfile: '/o/Modelfile' }
    });
    const progress = renderToStaticMarkup(<ProgressView model={tuned} metrics={null} error={null} />);
    expect(progress).toContain('data-percent="50.0"');
    expect(progress).toContain('ETA 30s');
    expect(progress).toContain('data-role="no-metrics"');
    const result = renderToStaticMarkup(<ResultView model={tuned} />);
    expect(result).toMatch(/data-row="eval_loss"><th>Eval loss<\/th><td>2.5<\/td><td>1.4<\/td>/);
    expect(result).toContain('/o/Modelfile');
  });
});
