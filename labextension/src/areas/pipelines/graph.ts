/**
 * A pipeline's graph (`GET pipelines/{name}/graph`) as React Flow nodes and
 * edges, laid out by dagre. A sub-DAG (nested pipeline, condition branch,
 * loop body, exit handler) is a group node that contains its tasks: each
 * group's children are laid out first, which gives the group its size, then
 * the level above is laid out with that size, up to the root. A run's task
 * states (`GET pipeline-runs/{name}/tasks`) fold onto the nodes: the
 * iterations of a loop (`for-loop-2.1/print-text`) onto their node
 * (`for-loop-2/print-text`). Pure (no DOM), so it is unit-tested.
 */
import { Graph, layout } from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';

import type { IGraphEdge, IGraphNode, IPipelineGraph, IPipelineTask } from './api';

export const TASK_WIDTH = 210;
export const TASK_HEIGHT = 60;
/** Room inside a group around its children, and above them for its title and badge. */
export const GROUP_PADDING = 18;
export const GROUP_HEADER = 48;
const NODE_GAP = 28;
const RANK_GAP = 46;

/** Task states of a run, the ones that need attention first. */
export const TASK_STATES = ['FAILED', 'RUNNING', 'CANCELED', 'PENDING', 'SUCCEEDED', 'CACHED', 'SKIPPED'] as const;

/** What a run says about one node: its state, and with iterations how many are in each state. */
export interface INodeRun {
  state: string;
  counts: { [state: string]: number };
  /** The run's task ids drawn by this node (a loop's task and its iterations). */
  tasks: string[];
}

/** What marks a node: a control construct, an exit task, an importer or a nested pipeline. */
export type NodeBadge = 'condition' | 'loop' | 'exit-handler' | 'exit-task' | 'importer' | 'pipeline';

export interface IFlowNodeData extends Record<string, unknown> {
  node: IGraphNode;
  badge: NodeBadge | null;
  /** The condition text, the loop's items: what the badge is about. */
  detail: string | null;
  run: INodeRun | null;
  /** Nesting depth (0 at the root). */
  depth: number;
}

export type PipelineFlowNode = Node<IFlowNodeData, 'pipelineTask' | 'pipelineGroup'>;

export interface IFlowEdgeData extends Record<string, unknown> {
  kind: IGraphEdge['kind'];
}

export type PipelineFlowEdge = Edge<IFlowEdgeData>;

/** `for-loop-2.1/print-text` -> `for-loop-2/print-text`: the graph node of a run's task. */
export function nodeIdOfTask(taskId: string): string {
  return taskId
    .split('/')
    .map(part => part.replace(/\.\d+$/, ''))
    .join('/');
}

function worst(states: string[]): string {
  const rank = (s: string) => {
    const i = (TASK_STATES as readonly string[]).indexOf(s);
    return i < 0 ? TASK_STATES.length : i;
  };
  return [...states].sort((a, b) => rank(a) - rank(b))[0];
}

/**
 * The run's tasks by graph node: the node's own task gives its state (a
 * loop's task stands for all its iterations); without one, the state that
 * needs attention first among its iterations.
 */
export function nodeRuns(tasks: readonly Pick<IPipelineTask, 'task_id' | 'state'>[]): Map<string, INodeRun> {
  const grouped = new Map<string, Pick<IPipelineTask, 'task_id' | 'state'>[]>();
  for (const task of tasks) {
    const id = nodeIdOfTask(task.task_id);
    grouped.set(id, [...(grouped.get(id) ?? []), task]);
  }
  const out = new Map<string, INodeRun>();
  for (const [id, group] of grouped) {
    const own = group.find(t => t.task_id === id);
    const iterations = group.filter(t => t.task_id !== id);
    const counted = iterations.length ? iterations : group;
    const counts: { [state: string]: number } = {};
    for (const t of counted) {
      counts[t.state] = (counts[t.state] ?? 0) + 1;
    }
    out.set(id, { state: own ? own.state : worst(counted.map(t => t.state)), counts, tasks: group.map(t => t.task_id) });
  }
  return out;
}

/** KFP's generated channel names read as the pipeline's own (`pipelinechannel--flip-coin-Output` -> `flip-coin-Output`). */
export function readableCondition(text: string): string {
  return text
    .replace(/inputs\.parameter_values\[(['"])(?:pipelinechannel--)?([^'"]+)\1\]/g, '$2')
    .replace(/pipelinechannel--/g, '');
}

function itemsText(items: unknown): string {
  if (Array.isArray(items)) {
    const text = `[${items.map(i => JSON.stringify(i)).join(', ')}]`;
    return text.length > 80 ? `${text.slice(0, 77)}…]` : text;
  }
  return readableCondition(typeof items === 'string' ? items : JSON.stringify(items ?? ''));
}

/** The node's mark and what it is about (the view translates the mark). */
export function badgeOf(node: IGraphNode): { badge: NodeBadge | null; detail: string | null } {
  if (node.control === 'condition') {
    return { badge: 'condition', detail: node.condition ? readableCondition(node.condition) : null };
  }
  if (node.control === 'loop') {
    const items = node.iterator ? itemsText(node.iterator.items) : null;
    const limit = node.iterator?.parallelism ? ` ‖${node.iterator.parallelism}` : '';
    return { badge: 'loop', detail: items === null ? null : `${items}${limit}` };
  }
  if (node.control === 'exit-handler') {
    return { badge: 'exit-handler', detail: null };
  }
  if (node.exit_handler) {
    return { badge: 'exit-task', detail: null };
  }
  if (node.kind === 'importer') {
    return { badge: 'importer', detail: null };
  }
  if (node.kind === 'dag') {
    return { badge: 'pipeline', detail: null };
  }
  return { badge: null, detail: null };
}

interface IBox {
  width: number;
  height: number;
}

/**
 * Lay out `graph`: groups contain their children (positions relative to the
 * group, as React Flow's `parentId` wants; parents come before their
 * children in the list); an edge joins two nodes of one level.
 */
export function layoutPipelineGraph(
  graph: IPipelineGraph,
  runs?: ReadonlyMap<string, INodeRun>
): { nodes: PipelineFlowNode[]; edges: PipelineFlowEdge[]; width: number; height: number } {
  const byId = new Map(graph.nodes.map(n => [n.id, n]));
  const parentOf = (id: string): string | null => {
    const p = byId.get(id)?.parent ?? null;
    // a parent the graph does not hold: the node is drawn at the root rather than lost
    return p !== null && byId.has(p) && p !== id ? p : null;
  };
  const children = new Map<string | null, IGraphNode[]>();
  for (const node of graph.nodes) {
    const parent = parentOf(node.id);
    children.set(parent, [...(children.get(parent) ?? []), node]);
  }
  const depthOf = (id: string): number => {
    let depth = 0;
    for (let p = parentOf(id); p !== null && depth < 100; p = parentOf(p)) {
      depth++;
    }
    return depth;
  };
  /** The ancestor of `id` (or itself) that sits directly under `level`. */
  const atLevel = (id: string, level: string | null): string | null => {
    let current: string | null = id;
    for (let i = 0; current !== null && i < 100; i++) {
      if (parentOf(current) === level) {
        return current;
      }
      current = parentOf(current);
    }
    return null;
  };
  const isGroup = (node: IGraphNode) => children.has(node.id) || node.kind === 'dag';

  const sizes = new Map<string, IBox>();
  const relative = new Map<string, { x: number; y: number }>();
  const visiting = new Set<string | null>();

  /** Lay out the children of `level`; their positions are relative to the level's content box. */
  const layoutLevel = (level: string | null): IBox => {
    const kids = children.get(level) ?? [];
    if (visiting.has(level) || !kids.length) {
      return { width: 0, height: 0 };
    }
    visiting.add(level);
    const g = new Graph();
    g.setGraph({ rankdir: 'TB', nodesep: NODE_GAP, ranksep: RANK_GAP, marginx: 0, marginy: 0 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const kid of kids) {
      const box = isGroup(kid) ? groupBox(kid.id) : { width: TASK_WIDTH, height: TASK_HEIGHT };
      sizes.set(kid.id, box);
      g.setNode(kid.id, { width: box.width, height: box.height });
    }
    for (const edge of graph.edges) {
      // an edge between levels still orders the subtrees that hold its ends
      const source = atLevel(edge.source, level);
      const target = atLevel(edge.target, level);
      if (source !== null && target !== null && source !== target && !g.hasEdge(source, target)) {
        g.setEdge(source, target);
      }
    }
    layout(g);
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (const kid of kids) {
      const placed = g.node(kid.id) as { x: number; y: number };
      const box = sizes.get(kid.id)!;
      const x = placed.x - box.width / 2;
      const y = placed.y - box.height / 2;
      relative.set(kid.id, { x, y });
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x + box.width);
      maxY = Math.max(maxY, y + box.height);
    }
    for (const kid of kids) {
      const p = relative.get(kid.id)!;
      relative.set(kid.id, { x: p.x - minX, y: p.y - minY });
    }
    visiting.delete(level);
    return { width: maxX - minX, height: maxY - minY };
  };

  const groupBox = (id: string): IBox => {
    const content = layoutLevel(id);
    return {
      width: Math.max(TASK_WIDTH, content.width) + 2 * GROUP_PADDING,
      height: GROUP_HEADER + Math.max(content.height, 12) + GROUP_PADDING
    };
  };

  const root = layoutLevel(null);
  const nodes: PipelineFlowNode[] = [];
  const emit = (level: string | null) => {
    for (const kid of children.get(level) ?? []) {
      const box = sizes.get(kid.id) ?? { width: TASK_WIDTH, height: TASK_HEIGHT };
      const p = relative.get(kid.id) ?? { x: 0, y: 0 };
      const group = isGroup(kid);
      const offset = level === null ? { x: 0, y: 0 } : { x: GROUP_PADDING, y: GROUP_HEADER };
      const depth = depthOf(kid.id);
      const { badge, detail } = badgeOf(kid);
      nodes.push({
        id: kid.id,
        type: group ? 'pipelineGroup' : 'pipelineTask',
        position: { x: p.x + offset.x, y: p.y + offset.y },
        width: box.width,
        height: box.height,
        ...(level === null ? {} : { parentId: level, extent: 'parent' as const }),
        draggable: false,
        connectable: false,
        // deeper nodes above their group, so a click lands on the innermost node
        zIndex: depth,
        data: { node: kid, badge, detail, run: runs?.get(kid.id) ?? null, depth }
      });
      if (group) {
        emit(kid.id);
      }
    }
  };
  emit(null);

  const seen = new Set<string>();
  const edges: PipelineFlowEdge[] = [];
  for (const edge of graph.edges) {
    const id = `${edge.source}->${edge.target}`;
    if (seen.has(id) || !byId.has(edge.source) || !byId.has(edge.target) || edge.source === edge.target) {
      continue;
    }
    seen.add(id);
    edges.push({
      id,
      source: edge.source,
      target: edge.target,
      type: 'smoothstep',
      animated: runs?.get(edge.target)?.state === 'RUNNING',
      markerEnd: { type: 'arrowclosed', width: 16, height: 16 },
      // above the groups the edge runs in
      zIndex: Math.max(depthOf(edge.source), depthOf(edge.target)) + 1,
      className: `jp-EasyMaker-pipelineEdge jp-mod-${edge.kind}`,
      data: { kind: edge.kind }
    });
  }
  return { nodes, edges, width: root.width, height: root.height };
}

/** The absolute position of a laid-out node (its own position plus its groups'). */
export function absolutePosition(nodes: readonly PipelineFlowNode[], id: string): { x: number; y: number } {
  const byId = new Map(nodes.map(n => [n.id, n]));
  let x = 0;
  let y = 0;
  for (let n = byId.get(id); n; n = n.parentId ? byId.get(n.parentId) : undefined) {
    x += n.position.x;
    y += n.position.y;
  }
  return { x, y };
}
