/**
 * The pipelines areas' pure parts: a pipeline's graph as React Flow nodes
 * and edges laid out by dagre (sub-DAGs as groups around their tasks, each
 * level laid out inside its group), a run's task states folded onto the
 * nodes, the run parameters' typing, the schedule trigger's checks (the
 * cron hint), and the upload dialog's checks.
 */
import { describe, expect, it } from 'vitest';

import type { IGraphNode, IPipelineGraph, IPipelineInput } from '../src/areas/pipelines/api';
import {
  GROUP_HEADER,
  GROUP_PADDING,
  type PipelineFlowNode,
  TASK_HEIGHT,
  TASK_WIDTH,
  absolutePosition,
  badgeOf,
  layoutPipelineGraph,
  nodeIdOfTask,
  nodeRuns,
  readableCondition
} from '../src/areas/pipelines/graph';
import { castParameter, castParameters, controlOf, initialTexts, parameterText } from '../src/areas/pipelines/parameters';
import { compiledName, fileProblem, suggestedName, uploadErrorField } from '../src/areas/pipelines/uploadFile';
import { cronFields, cronProblem, intervalProblem, triggerBody, triggerProblems, triggerState } from '../src/areas/pipelineSchedules/trigger';

function node(id: string, extra: Partial<IGraphNode> = {}): IGraphNode {
  const parts = id.split('/');
  return {
    id,
    name: parts[parts.length - 1],
    parent: parts.length > 1 ? parts.slice(0, -1).join('/') : null,
    kind: 'python',
    control: null,
    condition: null,
    iterator: null,
    exit_handler: false,
    component: `comp-${parts[parts.length - 1]}`,
    executor: `exec-${parts[parts.length - 1]}`,
    inputs: [],
    outputs: [],
    ...extra
  };
}

const dag = (id: string, extra: Partial<IGraphNode> = {}) => node(id, { kind: 'dag', executor: null, ...extra });

/** The shapes of the shared IR: flip_coin (nested conditions) and pipeline_in_pipeline_complex (a loop around a nested pipeline). */
const FLIP_COIN: IPipelineGraph = {
  nodes: [
    node('flip-coin'),
    dag('condition-1', { control: 'condition', condition: "inputs.parameter_values['pipelinechannel--flip-coin-Output'] == 'heads'" }),
    node('condition-1/random-num'),
    dag('condition-1/condition-2', { control: 'condition', condition: "int(inputs.parameter_values['pipelinechannel--random-num-Output']) > 5" }),
    node('condition-1/condition-2/print-msg'),
    dag('condition-1/condition-3', { control: 'condition', condition: "int(inputs.parameter_values['pipelinechannel--random-num-Output']) <= 5" }),
    node('condition-1/condition-3/print-msg-2'),
    dag('condition-4', { control: 'condition', condition: "inputs.parameter_values['pipelinechannel--flip-coin-Output'] == 'tails'" }),
    node('condition-4/random-num-2')
  ],
  edges: [
    { source: 'flip-coin', target: 'condition-1', kind: 'data' },
    { source: 'condition-1/random-num', target: 'condition-1/condition-2', kind: 'data' },
    { source: 'condition-1/random-num', target: 'condition-1/condition-3', kind: 'data' },
    { source: 'flip-coin', target: 'condition-4', kind: 'data' }
  ]
};

const NESTED: IPipelineGraph = {
  nodes: [
    dag('for-loop-2', { control: 'loop', iterator: { items: ['Hello', 'world!'], parallelism: 2 } }),
    dag('for-loop-2/inner-pipeline'),
    node('for-loop-2/inner-pipeline/print-op1'),
    dag('for-loop-2/inner-pipeline/condition-1', { control: 'condition', condition: "inputs.parameter_values['pipelinechannel--print-op1-Output'] == 'Hello'" }),
    node('for-loop-2/inner-pipeline/condition-1/print-op2', { kind: 'container', image: 'alpine' }),
    node('print-op1'),
    dag('exit-handler-1', { control: 'exit-handler' }),
    node('exit-handler-1/fail-op'),
    node('print-op', { exit_handler: true })
  ],
  edges: [
    { source: 'for-loop-2/inner-pipeline/print-op1', target: 'for-loop-2/inner-pipeline/condition-1', kind: 'data' },
    { source: 'exit-handler-1', target: 'print-op', kind: 'dependency' }
  ]
};

function byId(nodes: PipelineFlowNode[]): Map<string, PipelineFlowNode> {
  return new Map(nodes.map(n => [n.id, n]));
}

/** Every child inside its group's box (below the group's header), no two siblings overlapping. */
function expectNested(nodes: PipelineFlowNode[]): void {
  const all = byId(nodes);
  for (const n of nodes) {
    if (n.parentId) {
      const parent = all.get(n.parentId)!;
      expect(nodes.indexOf(parent), `${n.id}: its group comes first`).toBeLessThan(nodes.indexOf(n));
      expect(n.position.x, n.id).toBeGreaterThanOrEqual(GROUP_PADDING - 0.5);
      expect(n.position.y, n.id).toBeGreaterThanOrEqual(GROUP_HEADER - 0.5);
      expect(n.position.x + n.width!, n.id).toBeLessThanOrEqual(parent.width! - GROUP_PADDING + 0.5);
      expect(n.position.y + n.height!, n.id).toBeLessThanOrEqual(parent.height! - GROUP_PADDING + 0.5);
      expect(n.extent).toBe('parent');
    }
  }
  for (const a of nodes) {
    for (const b of nodes) {
      if (a.id < b.id && a.parentId === b.parentId) {
        const apart =
          a.position.x + a.width! <= b.position.x + 0.5 ||
          b.position.x + b.width! <= a.position.x + 0.5 ||
          a.position.y + a.height! <= b.position.y + 0.5 ||
          b.position.y + b.height! <= a.position.y + 0.5;
        expect(apart, `${a.id} and ${b.id} overlap`).toBe(true);
      }
    }
  }
}

describe('pipeline graph layout', () => {
  it('draws a one-task pipeline as one task node', () => {
    const { nodes, edges } = layoutPipelineGraph({ nodes: [node('add-numbers')], edges: [] });
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ id: 'add-numbers', type: 'pipelineTask', width: TASK_WIDTH, height: TASK_HEIGHT, position: { x: 0, y: 0 } });
    expect(nodes[0].parentId).toBeUndefined();
    expect(edges).toEqual([]);
  });

  it('puts sub-DAGs around their tasks, laid out inside out', () => {
    const { nodes, edges, width, height } = layoutPipelineGraph(FLIP_COIN);
    expect(nodes.map(n => n.id).sort()).toEqual(FLIP_COIN.nodes.map(n => n.id).sort());
    const n = byId(nodes);
    expect(n.get('condition-1')!.type).toBe('pipelineGroup');
    expect(n.get('condition-1/condition-2')!.parentId).toBe('condition-1');
    expect(n.get('condition-1/condition-2/print-msg')!.parentId).toBe('condition-1/condition-2');
    expect(n.get('flip-coin')!.parentId).toBeUndefined();
    expectNested(nodes);
    // a group is as large as its children need
    const inner = n.get('condition-1/condition-2')!;
    expect(inner.width).toBe(TASK_WIDTH + 2 * GROUP_PADDING);
    expect(inner.height).toBe(GROUP_HEADER + TASK_HEIGHT + GROUP_PADDING);
    const outer = n.get('condition-1')!;
    expect(outer.width!).toBeGreaterThan(2 * inner.width!);
    // dependencies read top to bottom, at every level
    expect(n.get('condition-1')!.position.y).toBeGreaterThanOrEqual(n.get('flip-coin')!.position.y + TASK_HEIGHT);
    expect(n.get('condition-1/condition-2')!.position.y).toBeGreaterThanOrEqual(n.get('condition-1/random-num')!.position.y + TASK_HEIGHT);
    // the whole drawing's size
    expect(width).toBeGreaterThanOrEqual(outer.width! + n.get('condition-4')!.width!);
    expect(height).toBeGreaterThanOrEqual(TASK_HEIGHT + outer.height!);
    // edges between siblings, above the groups they run in
    expect(edges.map(e => e.id).sort()).toEqual([
      'condition-1/random-num->condition-1/condition-2',
      'condition-1/random-num->condition-1/condition-3',
      'flip-coin->condition-1',
      'flip-coin->condition-4'
    ]);
    expect(edges.find(e => e.source === 'flip-coin')!.zIndex).toBe(1);
    expect(edges.find(e => e.source === 'condition-1/random-num')!.zIndex).toBe(2);
    expect(n.get('condition-1/condition-2/print-msg')!.zIndex).toBe(2);
  });

  it('nests three deep (a loop around a nested pipeline around a condition) and absolute positions add up', () => {
    const { nodes } = layoutPipelineGraph(NESTED);
    expectNested(nodes);
    const n = byId(nodes);
    const deepest = 'for-loop-2/inner-pipeline/condition-1/print-op2';
    expect(n.get(deepest)!.parentId).toBe('for-loop-2/inner-pipeline/condition-1');
    const abs = absolutePosition(nodes, deepest);
    const loop = n.get('for-loop-2')!;
    expect(abs.x).toBeGreaterThanOrEqual(loop.position.x + 3 * GROUP_PADDING - 0.5);
    expect(abs.y).toBeGreaterThanOrEqual(loop.position.y + 3 * GROUP_HEADER - 0.5);
    // the exit task runs after its exit handler
    expect(n.get('print-op')!.position.y).toBeGreaterThanOrEqual(n.get('exit-handler-1')!.position.y + n.get('exit-handler-1')!.height!);
  });

  it('marks conditions, loops, exit handlers, exit tasks, importers and nested pipelines', () => {
    const n = byId(layoutPipelineGraph(NESTED).nodes);
    expect(n.get('for-loop-2')!.data).toMatchObject({ badge: 'loop', detail: '["Hello", "world!"] ‖2' });
    expect(n.get('for-loop-2/inner-pipeline')!.data).toMatchObject({ badge: 'pipeline', detail: null });
    expect(n.get('for-loop-2/inner-pipeline/condition-1')!.data).toMatchObject({ badge: 'condition', detail: "print-op1-Output == 'Hello'" });
    expect(n.get('exit-handler-1')!.data.badge).toBe('exit-handler');
    expect(n.get('print-op')!.data.badge).toBe('exit-task');
    expect(badgeOf(node('importer', { kind: 'importer' })).badge).toBe('importer');
    expect(badgeOf(node('plain')).badge).toBeNull();
    expect(badgeOf(dag('for-loop-1', { control: 'loop', iterator: { items: 'pipelinechannel--loop_parameter', parallelism: null } })).detail).toBe('loop_parameter');
    expect(readableCondition("int(inputs.parameter_values['pipelinechannel--random-num-Output']) > 5")).toBe('int(random-num-Output) > 5');
    expect(readableCondition("inputs.parameter_values['x'] == 1")).toBe('x == 1');
  });

  it('keeps a node whose parent is missing, at the root, and lays out an edge between levels by its subtrees', () => {
    const graph: IPipelineGraph = {
      nodes: [node('a'), node('ghost/b', { parent: 'ghost' }), dag('g'), node('g/c')],
      edges: [{ source: 'a', target: 'g/c', kind: 'dependency' }]
    };
    const { nodes, edges } = layoutPipelineGraph(graph);
    const n = byId(nodes);
    expect(n.get('ghost/b')!.parentId).toBeUndefined();
    expect(n.get('g')!.position.y).toBeGreaterThanOrEqual(n.get('a')!.position.y + TASK_HEIGHT);
    expect(edges.map(e => e.id)).toEqual(['a->g/c']);
  });
});

describe('a run on the graph', () => {
  it('folds a loop\'s iterations onto their node: the loop\'s own task gives its state, else the one needing attention', () => {
    expect(nodeIdOfTask('for-loop-2.1/print-text')).toBe('for-loop-2/print-text');
    expect(nodeIdOfTask('a.0/b.12/c')).toBe('a/b/c');
    const runs = nodeRuns([
      { task_id: 'flip-coin', state: 'SUCCEEDED' },
      { task_id: 'for-loop-2', state: 'RUNNING' },
      { task_id: 'for-loop-2.0', state: 'SUCCEEDED' },
      { task_id: 'for-loop-2.1', state: 'RUNNING' },
      { task_id: 'for-loop-2.0/print-text', state: 'SUCCEEDED' },
      { task_id: 'for-loop-2.1/print-text', state: 'FAILED' },
      { task_id: 'for-loop-2.2/print-text', state: 'SKIPPED' }
    ]);
    expect(runs.get('flip-coin')).toEqual({ state: 'SUCCEEDED', counts: { SUCCEEDED: 1 }, tasks: ['flip-coin'] });
    expect(runs.get('for-loop-2')!.state).toBe('RUNNING');
    expect(runs.get('for-loop-2')!.counts).toEqual({ SUCCEEDED: 1, RUNNING: 1 });
    expect(runs.get('for-loop-2/print-text')).toEqual({
      state: 'FAILED',
      counts: { SUCCEEDED: 1, FAILED: 1, SKIPPED: 1 },
      tasks: ['for-loop-2.0/print-text', 'for-loop-2.1/print-text', 'for-loop-2.2/print-text']
    });
  });

  it('gives each node its run and animates the edges into running tasks', () => {
    const runs = nodeRuns([
      { task_id: 'flip-coin', state: 'SUCCEEDED' },
      { task_id: 'condition-1', state: 'RUNNING' },
      { task_id: 'condition-4', state: 'SKIPPED' }
    ]);
    const { nodes, edges } = layoutPipelineGraph(FLIP_COIN, runs);
    const n = byId(nodes);
    expect(n.get('flip-coin')!.data.run!.state).toBe('SUCCEEDED');
    expect(n.get('condition-4')!.data.run!.state).toBe('SKIPPED');
    expect(n.get('condition-1/random-num')!.data.run).toBeNull();
    expect(edges.find(e => e.id === 'flip-coin->condition-1')!.animated).toBe(true);
    expect(edges.find(e => e.id === 'flip-coin->condition-4')!.animated).toBe(false);
  });
});

const input = (name: string, type: string, extra: Partial<IPipelineInput> = {}): IPipelineInput => ({
  name,
  type,
  kind: 'parameter',
  default: null,
  optional: false,
  ...extra
});

describe('run parameters', () => {
  it('casts each type the way the server checks it', () => {
    expect(castParameter('5', 'NUMBER_INTEGER')).toEqual({ value: 5 });
    expect(castParameter(' 5.0 ', 'NUMBER_INTEGER')).toEqual({ value: 5 });
    expect(castParameter('5.5', 'NUMBER_INTEGER')).toEqual({ error: 'Must be a whole number' });
    expect(castParameter('five', 'NUMBER_INTEGER')).toEqual({ error: 'Must be a whole number' });
    expect(castParameter('0.25', 'NUMBER_DOUBLE')).toEqual({ value: 0.25 });
    expect(castParameter('1e3', 'NUMBER_DOUBLE')).toEqual({ value: 1000 });
    expect(castParameter('x', 'NUMBER_DOUBLE')).toEqual({ error: 'Must be a number' });
    expect(castParameter('True', 'BOOLEAN')).toEqual({ value: true });
    expect(castParameter('yes', 'BOOLEAN')).toEqual({ error: 'Must be true or false' });
    expect(castParameter('[1, "a"]', 'LIST')).toEqual({ value: [1, 'a'] });
    expect(castParameter('{"a": 1}', 'LIST')).toEqual({ error: 'Must be a JSON list, e.g. [1, 2]' });
    expect(castParameter('{"a": 1}', 'STRUCT')).toEqual({ value: { a: 1 } });
    expect(castParameter('[1]', 'STRUCT')).toHaveProperty('error');
    expect(castParameter('{a: 1}', 'STRUCT')).toEqual({ error: 'Must be valid JSON' });
    expect(castParameter(' spaced ', 'STRING')).toEqual({ value: ' spaced ' });
    expect(controlOf('NUMBER_INTEGER')).toBe('number');
    expect(controlOf('BOOLEAN')).toBe('checkbox');
    expect(controlOf('STRUCT')).toBe('json');
    expect(controlOf('STRING')).toBe('text');
  });

  it('starts from the defaults (or a copied run\'s values) as text', () => {
    const inputs = [
      input('a', 'NUMBER_INTEGER'),
      input('rate', 'NUMBER_DOUBLE', { default: 0.5 }),
      input('flag', 'BOOLEAN', { default: true }),
      input('items', 'LIST', { default: ['x', 'y'] }),
      input('dataset', 'system.Dataset', { kind: 'artifact' })
    ];
    expect(initialTexts(inputs)).toEqual({ a: '', rate: '0.5', flag: 'true', items: '["x","y"]' });
    expect(initialTexts(inputs, { a: 7, flag: false })).toEqual({ a: '7', rate: '0.5', flag: 'false', items: '["x","y"]' });
    expect(parameterText(null, 'BOOLEAN')).toBe('false');
    expect(parameterText({ k: 1 }, 'STRUCT')).toBe('{"k":1}');
  });

  it('builds the body\'s parameters: typed values, defaults left to the server, problems by field', () => {
    const inputs = [
      input('a', 'NUMBER_INTEGER'),
      input('b', 'NUMBER_INTEGER'),
      input('message', 'STRING', { default: 'hi' }),
      input('maybe', 'STRING', { optional: true }),
      input('flag', 'BOOLEAN', { default: false })
    ];
    expect(castParameters(inputs, { a: '5', b: '5', message: '', maybe: '', flag: 'false' })).toEqual({
      values: { a: 5, b: 5, flag: false },
      errors: {}
    });
    expect(castParameters(inputs, { a: 'five', b: '', message: 'hello', flag: 'true' })).toEqual({
      values: { message: 'hello', flag: true },
      errors: { 'parameters.a': 'Must be a whole number', 'parameters.b': 'Required' }
    });
  });
});

describe('schedule trigger', () => {
  it('asks for the seconds field of a 5-field cron expression', () => {
    const hint = cronProblem('*/5 * * * *');
    expect(hint!.msgid).toContain('Add the seconds field first');
    expect(hint!.args).toEqual(['seconds minutes hours day-of-month month day-of-week', '0 */5 * * * *']);
    expect(cronProblem('0 */5 * * * *')).toBeNull();
    expect(cronProblem('  0  */5 * * *   * ')).toBeNull();
    expect(cronProblem('@hourly')).toBeNull();
    expect(cronProblem('@often')!.args[0]).toBe('@often');
    expect(cronProblem('* * *')).toEqual({ msgid: '%1 fields: a cron expression has 6 separated by spaces (%2)', args: [3, 'seconds minutes hours day-of-month month day-of-week'] });
    expect(cronProblem('')!.msgid).toBe('Required');
  });

  it('shows the values under their field names and builds the body', () => {
    expect(cronFields('0 */5 * * * 1-5').map(f => `${f.field}=${f.value}`)).toEqual([
      'seconds=0',
      'minutes=*/5',
      'hours=*',
      'day-of-month=*',
      'month=*',
      'day-of-week=1-5'
    ]);
    expect(cronFields('*/5 * * * *')).toEqual([]);
    const cron = { type: 'cron' as const, every: '1', unit: 'hours' as const, expression: ' 0  0 * * *  * ' };
    expect(triggerBody(cron)).toEqual({ type: 'cron', expression: '0 0 * * * *' });
    expect(triggerBody({ ...cron, type: 'interval', every: '15', unit: 'minutes' })).toEqual({ type: 'interval', every: 15, unit: 'minutes' });
    expect(triggerState({ type: 'interval', every: 2, unit: 'days' })).toMatchObject({ type: 'interval', every: '2', unit: 'days' });
    expect(triggerState({ type: 'cron', expression: '0 0 * * * *' })).toMatchObject({ type: 'cron', expression: '0 0 * * * *' });
  });

  it('names the field of a problem', () => {
    expect(intervalProblem('0')!.args).toEqual([1_000_000]);
    expect(intervalProblem('1.5')).not.toBeNull();
    expect(intervalProblem('30')).toBeNull();
    expect(Object.keys(triggerProblems({ type: 'interval', every: '', unit: 'hours', expression: '' }))).toEqual(['trigger.every']);
    expect(Object.keys(triggerProblems({ type: 'cron', every: '1', unit: 'hours', expression: '* * * * *' }))).toEqual(['trigger.expression']);
    expect(triggerProblems({ type: 'cron', every: '', unit: 'hours', expression: '0 0 * * * *' })).toEqual({});
  });
});

describe('upload dialog', () => {
  it('suggests a name from the compiled pipeline or the file', () => {
    expect(compiledName('# PIPELINE DEFINITION\n# Name: add-numbers\n# Inputs:\n')).toBe('add-numbers');
    expect(compiledName('components: {}')).toBeNull();
    expect(suggestedName('my pipeline (v2).yaml')).toBe('my-pipeline-v2');
    expect(suggestedName('arguments_parameters.zip')).toBe('arguments_parameters');
  });

  it('checks the file before it is sent and places the server\'s refusal', () => {
    expect(fileProblem(null)).toMatch(/Choose a pipeline file/);
    expect(fileProblem({ name: 'p.png', size: 10 })).toMatch(/ends in/);
    expect(fileProblem({ name: 'p.yaml', size: 0 })).toMatch(/empty/);
    expect(fileProblem({ name: 'p.YML', size: 21 * 1024 * 1024 })).toMatch(/20 MB/);
    expect(fileProblem({ name: 'p.zip', size: 10 })).toBeNull();
    expect(uploadErrorField('name')).toBe('name');
    expect(uploadErrorField('root.dag.tasks.x.componentRef.name')).toBe('file');
    expect(uploadErrorField(null)).toBe('file');
  });
});
