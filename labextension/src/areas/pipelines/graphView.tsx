/**
 * A pipeline's graph drawn by React Flow over the dagre layout (graph.ts):
 * tasks as boxes, sub-DAGs as groups around their tasks, conditions, loops
 * and exit handlers marked, dependencies as arrows; in a run, each node in
 * its task state's colour. Zoom, pan, fit view and a minimap; a click on a
 * node selects it (its details beside the graph).
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  Handle,
  MiniMap,
  type NodeProps,
  Position,
  ReactFlow,
  ReactFlowProvider,
  getViewportForBounds,
  useNodesInitialized,
  useReactFlow,
  useStore
} from '@xyflow/react';
import * as React from 'react';

import type { ITrans } from '../../shared/i18n';
import { useTrans } from '../../shared/i18n/react';
import type { IGraphNode, IGraphPort, IPipelineGraph } from './api';
import { type INodeRun, type NodeBadge, type PipelineFlowNode, TASK_STATES, badgeOf, layoutPipelineGraph } from './graph';

/** The badge of a node in words. */
export function badgeLabel(trans: ITrans, badge: NodeBadge): string {
  switch (badge) {
    case 'condition':
      return trans.__('Condition');
    case 'loop':
      return trans.__('ParallelFor loop');
    case 'exit-handler':
      return trans.__('Exit handler');
    case 'exit-task':
      return trans.__('Runs on exit');
    case 'importer':
      return trans.__('Importer');
    case 'pipeline':
      return trans.__('Nested pipeline');
  }
}

/** The CSS hook of a task state (its colour comes from the theme). */
function stateClass(state: string | undefined | null): string {
  return state ? ` jp-mod-state-${state.toLowerCase()}` : '';
}

/** "2 SUCCEEDED · 1 RUNNING" of a loop's iterations, or nothing for one task. */
function countsText(run: INodeRun | null): string {
  if (!run) {
    return '';
  }
  const total = Object.values(run.counts).reduce((n, c) => n + c, 0);
  if (total <= 1) {
    return '';
  }
  return TASK_STATES.filter(s => run.counts[s])
    .map(s => `${run.counts[s]} ${s}`)
    .join(' · ');
}

function NodeBody(props: { data: PipelineFlowNode['data'] }): JSX.Element {
  const trans = useTrans();
  const { node, badge, detail, run } = props.data;
  const counts = countsText(run);
  return (
    <>
      <div className="jp-EasyMaker-pipelineNode-title">
        <span className="jp-EasyMaker-pipelineNode-name" title={node.name}>
          {node.name}
        </span>
        {run ? <span className="jp-EasyMaker-pipelineNode-state">{run.state}</span> : null}
      </div>
      {badge ? (
        <div className="jp-EasyMaker-pipelineNode-mark" title={detail ?? undefined}>
          <span className={`jp-EasyMaker-pipelineBadge jp-mod-${badge}`} data-badge={badge}>
            {badgeLabel(trans, badge)}
          </span>
          {detail ? <code className="jp-EasyMaker-pipelineNode-detail">{detail}</code> : null}
        </div>
      ) : (
        <div className="jp-EasyMaker-pipelineNode-mark jp-EasyMaker-pipelineNode-kind">
          {node.kind === 'container' ? node.image ?? node.kind : node.component}
        </div>
      )}
      {counts ? <div className="jp-EasyMaker-pipelineNode-counts">{counts}</div> : null}
    </>
  );
}

function FlowNode(props: NodeProps<PipelineFlowNode>): JSX.Element {
  const { data, selected, type } = props;
  const group = type === 'pipelineGroup';
  return (
    <div
      className={
        'jp-EasyMaker-pipelineNode' +
        (group ? ' jp-mod-group' : ' jp-mod-task') +
        (data.node.control ? ` jp-mod-${data.node.control}` : '') +
        stateClass(data.run?.state) +
        (selected ? ' jp-mod-selected' : '')
      }
      data-node-id={data.node.id}
      data-state={data.run?.state ?? ''}
      data-kind={data.node.kind}
      data-control={data.node.control ?? ''}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <NodeBody data={data} />
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

const NODE_TYPES = { pipelineTask: FlowNode, pipelineGroup: FlowNode };

/** The minimap's colour of a node: its state's, from the theme. */
function minimapColor(node: PipelineFlowNode): string {
  switch (node.data.run?.state) {
    case 'SUCCEEDED':
      return 'var(--jp-success-color1)';
    case 'CACHED':
      return 'var(--jp-success-color2)';
    case 'RUNNING':
      return 'var(--jp-brand-color1)';
    case 'FAILED':
      return 'var(--jp-error-color1)';
    case 'CANCELED':
      return 'var(--jp-warn-color1)';
    default:
      return node.type === 'pipelineGroup' ? 'var(--jp-layout-color3)' : 'var(--jp-border-color1)';
  }
}

export interface IPipelineGraphProps {
  graph: IPipelineGraph;
  /** A run's task states by node (a progress graph). */
  runs?: ReadonlyMap<string, INodeRun>;
  selected: string | null;
  onSelect(id: string | null): void;
}

const FIT = { padding: 0.15, maxZoom: 1.1 };
const MIN_ZOOM = 0.1;

function GraphCanvas(props: IPipelineGraphProps): JSX.Element {
  const trans = useTrans();
  const { graph, runs, selected, onSelect } = props;
  const flow = useReactFlow();
  const laid = React.useMemo(() => layoutPipelineGraph(graph, runs), [graph, runs]);
  const nodes = React.useMemo(() => laid.nodes.map(n => (n.id === selected ? { ...n, selected: true } : n)), [laid, selected]);
  // React Flow's own measure of its canvas, and whether it has measured every node: the
  // view is fitted against sizes React Flow has taken in, never before (a fit against the
  // old canvas would leave nodes under the details that narrowed it). Hidden nodes are
  // counted (there are none) because that reading follows each measure, where React
  // Flow's plain flag changes only when nodes are set.
  const width = useStore(s => s.width);
  const height = useStore(s => s.height);
  const measured = useNodesInitialized({ includeHiddenNodes: true });
  // A new graph (not new states) or a resized canvas asks for a fit, made as soon as
  // everything is measured, before the frame is painted. The view is set here rather
  // than through React Flow's fitView, which queues the fit behind its node updates.
  const fitWanted = React.useRef(true);
  React.useLayoutEffect(() => {
    fitWanted.current = true;
  }, [graph, width, height]);
  React.useLayoutEffect(() => {
    if (!fitWanted.current || !measured || !width || !height) {
      return;
    }
    fitWanted.current = false;
    const bounds = flow.getNodesBounds(flow.getNodes());
    void flow.setViewport(getViewportForBounds(bounds, width, height, MIN_ZOOM, FIT.maxZoom, FIT.padding));
  }, [graph, width, height, measured]);
  return (
    <div className="jp-EasyMaker-pipelineCanvas">
      <ReactFlow
        nodes={nodes}
        edges={laid.edges}
        nodeTypes={NODE_TYPES}
        minZoom={MIN_ZOOM}
        maxZoom={2.5}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={true}
        elevateNodesOnSelect={false}
        zoomOnDoubleClick={false}
        onNodeClick={(event, node) => {
          event.stopPropagation();
          onSelect(node.id);
        }}
        onPaneClick={() => onSelect(null)}
        proOptions={{ hideAttribution: true }}
        ariaLabelConfig={{
          'controls.ariaLabel': trans.__('Graph controls'),
          'controls.zoomIn.ariaLabel': trans.__('Zoom in'),
          'controls.zoomOut.ariaLabel': trans.__('Zoom out'),
          'controls.fitView.ariaLabel': trans.__('Fit view')
        }}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1} />
        <Controls showInteractive={false} fitViewOptions={FIT} />
        <MiniMap pannable zoomable nodeColor={minimapColor} nodeStrokeWidth={2} ariaLabel={trans.__('Minimap')} />
      </ReactFlow>
    </div>
  );
}

/** The graph, with a legend of the task states when it shows a run. */
export function PipelineGraph(props: IPipelineGraphProps): JSX.Element {
  const trans = useTrans();
  return (
    <div className="jp-EasyMaker-pipelineGraph" data-node-count={props.graph.nodes.length} data-role="pipeline-graph">
      <ReactFlowProvider>
        <GraphCanvas {...props} />
      </ReactFlowProvider>
      {props.runs ? (
        <div className="jp-EasyMaker-pipelineLegend" aria-label={trans.__('Task states')}>
          {TASK_STATES.map(s => (
            <span key={s} className={'jp-EasyMaker-pipelineLegend-item' + stateClass(s)}>
              {s}
            </span>
          ))}
        </div>
      ) : null}
    </div>
  );
}

function Ports(props: { ports: IGraphPort[] }): JSX.Element {
  const trans = useTrans();
  if (!props.ports.length) {
    return <span className="jp-EasyMaker-help">{trans.__('none')}</span>;
  }
  return (
    <ul className="jp-EasyMaker-pipelinePorts">
      {props.ports.map(p => (
        <li key={`${p.kind}:${p.name}`}>
          <code>{p.name}</code> <span className="jp-EasyMaker-paramType">{p.type}</span>
          {p.kind === 'artifact' ? <span className="jp-EasyMaker-help"> ({trans.__('artifact')})</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** Shell words of a command line (quoted where they hold spaces or quotes). */
export function shellWords(words: readonly string[]): string {
  return words.map(w => (/^[\w@%+=:,./{}$-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`)).join(' ');
}

/** What a node is: its component, kind, mark, inputs and outputs, image and what it runs. */
export function NodeDetails(props: { node: IGraphNode; onClose(): void; children?: React.ReactNode }): JSX.Element {
  const trans = useTrans();
  const { node } = props;
  const { badge, detail } = badgeOf(node);
  const rows: [string, React.ReactNode][] = [
    [trans.__('Task'), <code>{node.id}</code>],
    [trans.__('Component'), <code>{node.component}</code>],
    [trans.__('Kind'), node.kind === 'dag' ? trans.__('Sub-DAG') : node.kind]
  ];
  if (badge) {
    rows.push([trans.__('Marked as'), badgeLabel(trans, badge)]);
  }
  if (node.condition) {
    rows.push([trans.__('Condition'), <code className="jp-EasyMaker-pipelineCondition">{node.condition}</code>]);
  } else if (detail && badge === 'loop') {
    rows.push([trans.__('Loop items'), <code>{detail}</code>]);
  }
  if (node.iterator?.parallelism) {
    rows.push([trans.__('Parallelism'), String(node.iterator.parallelism)]);
  }
  if (node.executor) {
    rows.push([trans.__('Executor'), <code>{node.executor}</code>]);
  }
  if (node.image) {
    rows.push([trans.__('Image'), <code>{node.image}</code>]);
  }
  if (node.retry?.max_retry_count) {
    rows.push([trans.__('Retries'), String(node.retry.max_retry_count)]);
  }
  if (node.kind !== 'dag') {
    rows.push([trans.__('Cache'), node.cache === false ? trans.__('off') : trans.__('on')]);
  }
  const program = [...(node.command ?? []), ...(node.args ?? [])];
  return (
    <aside className="jp-EasyMaker-pipelineDetails" data-node-id={node.id} aria-label={trans.__('Task details')}>
      <div className="jp-EasyMaker-pipelineDetails-header">
        <h3>{node.name}</h3>
        <button type="button" className="jp-EasyMaker-button" data-action="close-details" title={trans.__('Close')} onClick={props.onClose}>
          ×
        </button>
      </div>
      <table className="jp-EasyMaker-details">
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th>{k}</th>
              <td>{v}</td>
            </tr>
          ))}
          <tr>
            <th>{trans.__('Inputs')}</th>
            <td>
              <Ports ports={node.inputs} />
            </td>
          </tr>
          <tr>
            <th>{trans.__('Outputs')}</th>
            <td>
              <Ports ports={node.outputs} />
            </td>
          </tr>
        </tbody>
      </table>
      {props.children}
      {node.function ? (
        <details open className="jp-EasyMaker-pipelineSource">
          <summary>{trans.__('Python function')}</summary>
          <pre className="jp-EasyMaker-pipelineCode" data-role="function-source">
            {node.function.trim()}
          </pre>
        </details>
      ) : null}
      {program.length ? (
        <details open={!node.function} className="jp-EasyMaker-pipelineSource">
          <summary>{trans.__('Command and arguments')}</summary>
          {node.command?.length ? (
            <>
              <div className="jp-EasyMaker-help">{trans.__('Command')}</div>
              <pre className="jp-EasyMaker-pipelineCode" data-role="command">
                {shellWords(node.command)}
              </pre>
            </>
          ) : null}
          {node.args?.length ? (
            <>
              <div className="jp-EasyMaker-help">{trans.__('Arguments')}</div>
              <pre className="jp-EasyMaker-pipelineCode" data-role="args">
                {shellWords(node.args)}
              </pre>
            </>
          ) : null}
        </details>
      ) : null}
    </aside>
  );
}

/** The graph and, beside it, the selected node's details (with what a run adds about it). */
export function GraphWithDetails(props: {
  graph: IPipelineGraph;
  runs?: ReadonlyMap<string, INodeRun>;
  selected: string | null;
  onSelect(id: string | null): void;
  /** What a run tells about the selected node (its tasks, logs, outputs). */
  extra?: (node: IGraphNode) => React.ReactNode;
}): JSX.Element {
  const { graph, selected } = props;
  const node = selected ? graph.nodes.find(n => n.id === selected) ?? null : null;
  return (
    <div className="jp-EasyMaker-pipelineSplit">
      <PipelineGraph graph={graph} runs={props.runs} selected={selected} onSelect={props.onSelect} />
      {node ? (
        <NodeDetails node={node} onClose={() => props.onSelect(null)}>
          {props.extra?.(node)}
        </NodeDetails>
      ) : null}
    </div>
  );
}
