/**
 * The graph's keyboard. Arrows follow the layout: → a child, ← the parent, ↑/↓ the nearest
 * node in the same column; Home/End the first and last node; Enter/Space opens a group or the
 * node's creation site; + / - zoom and 0 fits the graph.
 */
import type { DeferredView } from '../src/protocol/protocol';
import type { GraphModel } from './graphModel';

/** What the keys act on (the GraphDom). */
export interface GraphKeyTarget {
  readonly model: GraphModel | null;
  readonly selectedKey: string | null;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly actions: { toggleGroup(leader: number): void; openLocation(file: string, line: number): void };
  lookup(id: number): DeferredView | undefined;
  choose(index: number): void;
  zoomBy(factor: number): void;
  fit(): void;
}

export function onGraphKey(e: KeyboardEvent, graph: GraphKeyTarget): void {
  const model = graph.model;
  if (!model || model.nodes.length === 0) return;
  const i = graph.selectedKey ? (model.index.get(graph.selectedKey) ?? -1) : -1;
  const node = i >= 0 ? model.nodes[i] : undefined;
  const column = (step: number): number => {
    let best = -1;
    for (let j = 0; j < model.nodes.length; j++) {
      if (j === i || graph.x[j] !== graph.x[i] || Math.sign(graph.y[j] - graph.y[i]) !== step) continue;
      if (best < 0 || Math.abs(graph.y[j] - graph.y[i]) < Math.abs(graph.y[best] - graph.y[i])) best = j;
    }
    return best;
  };
  let next = -1;
  switch (e.key) {
    case 'ArrowRight':
      next = i < 0 ? 0 : model.nodes.findIndex((n) => n.parent === i);
      break;
    case 'ArrowLeft':
      next = node ? node.parent : 0;
      break;
    case 'ArrowDown':
      next = i < 0 ? 0 : column(1);
      break;
    case 'ArrowUp':
      next = i < 0 ? 0 : column(-1);
      break;
    case 'Home':
      next = 0;
      break;
    case 'End':
      next = model.nodes.length - 1;
      break;
    case 'Enter':
    case ' ':
      if (node?.group) graph.actions.toggleGroup(node.id);
      else if (node) {
        const d = graph.lookup(node.id);
        if (d?.created) graph.actions.openLocation(d.created.file, d.created.line);
      }
      break;
    case '+':
    case '=':
      graph.zoomBy(1.25);
      break;
    case '-':
      graph.zoomBy(0.8);
      break;
    case '0':
      graph.fit();
      break;
    default:
      return;
  }
  e.preventDefault();
  if (next >= 0) graph.choose(next);
}
