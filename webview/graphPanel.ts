/**
 * The graph view as the app sees it: the toolbar (fit, zoom, whole graph, export), the note
 * saying what is shown, and the decision of when the graph must be rebuilt and laid out again
 * — only when the tree's structure changes, the selection leaves the part shown, an option
 * changes, or a Deferred's shape changes (which can split or join a group; those rebuilds are
 * spaced out) — and when a live update only rewrites the texts in view.
 */
import type { DeferredView, FromWebviewMessage } from '../src/protocol/protocol';
import { el } from './dom';
import { GraphDom } from './graphDom';
import { graphSvg, svgToPng } from './graphExport';
import { buildGraph, DEFAULT_GRAPH_OPTIONS, type GraphModel, rootOf } from './graphModel';
import { groupKey, shapeKey } from './grouping';
import type { ViewState } from './host';
import type { RowModel } from './rowModel';
import { deferredKey, type Structure } from './treeStructure';

/** A rebuild caused only by Deferreds changing shape waits at least this long after the last. */
const SHAPE_REBUILD_SPACING_MS = 2000;

/**
 * What of a Deferred the graph's nodes and edges depend on: its shape (groups), and whether its
 * wait ends at a root node and through which edge. A root's words (a timer's "in 1.8 s", even
 * its kind) change in place; a root node appearing or going needs a rebuild.
 */
const graphShape = (d: DeferredView): string => `${shapeKey(d)}|${rootOf(d)?.edge ?? ''}`;

export interface GraphPanelHost {
  /** A node was chosen: the tree selects the row. */
  selected(id: number): void;
  post(message: FromWebviewMessage): void;
  changed(): void;
}

function button(text: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', 'graph-button');
  b.type = 'button';
  b.textContent = text;
  b.title = title;
  b.setAttribute('aria-label', title);
  b.addEventListener('click', onClick);
  return b;
}

export class GraphPanel {
  readonly element = el('div', 'graph-panel');
  readonly dom: GraphDom;
  private readonly note = el('span', 'graph-note');
  private readonly whole = el('input', '');
  private built: { structure: Structure; whole: boolean; groups: number; focus: number | null } | null = null;
  private shapes = new Map<number, string>();
  private shapeStale = false;
  private lastBuild = 0;
  /** Deferreds changed since the graph was last drawn (null: too many, rebuild). */
  private changed: Set<number> | null = new Set();
  focusId: number | null = null;

  constructor(
    private readonly view: ViewState,
    private readonly rows: RowModel,
    private readonly host: GraphPanelHost,
  ) {
    this.dom = new GraphDom({
      select: (id) => {
        this.focusId = id;
        this.host.selected(id);
      },
      openLocation: (file, line) => this.host.post({ type: 'openLocation', file, line }),
      toggleGroup: (leader) => this.toggleGroup(leader),
    });
    const tools = el('div', 'graph-tools');
    const wholeLabel = el('label', 'toggle');
    this.whole.type = 'checkbox';
    this.whole.checked = view.wholeGraph;
    this.whole.addEventListener('change', () => {
      view.wholeGraph = this.whole.checked;
      this.update(true);
      this.host.changed();
    });
    wholeLabel.append(this.whole, document.createTextNode(' Whole graph'));
    tools.append(
      button('Fit', 'Fit the graph to the view (0)', () => this.dom.fit()),
      button('−', 'Zoom out (-)', () => this.dom.zoomBy(0.8)),
      button('+', 'Zoom in (+)', () => this.dom.zoomBy(1.25)),
      wholeLabel,
      button('SVG', 'Export the graph as SVG', () => this.export('svg')),
      button('PNG', 'Export the graph as PNG', () => void this.export('png')),
      this.note,
    );
    this.element.append(tools, this.dom.element);
  }

  get model(): GraphModel | null {
    return this.dom.model;
  }

  /** Records live changes between two draws (bounded: past this, the next draw rebuilds). */
  noteChanges(ids: Iterable<number>): void {
    if (!this.changed) return;
    for (const id of ids) this.changed.add(id);
    if (this.changed.size > 20_000) this.changed = null;
  }

  set active(active: boolean) {
    this.dom.active = active;
    this.element.hidden = !active;
  }

  /** Brings the graph up to date; `force` rebuilds it (an option or the selection changed). */
  update(force = false): void {
    if (!this.dom.active) return;
    const structure = this.rows.structureNow();
    const store = this.rows.deferreds;
    const focus = this.focusId !== null && store.has(this.focusId) ? this.focusId : null;
    const shown = this.dom.model;
    const focusShown = focus === null || (shown !== null && this.drawnIds(shown).has(focus));
    const b = this.built;
    this.checkShapes();
    const must =
      force ||
      !b ||
      b.structure !== structure ||
      b.whole !== this.view.wholeGraph ||
      b.groups !== this.view.expandedGroups.size ||
      (!this.view.wholeGraph && (!focusShown || (b.focus === null) !== (focus === null)));
    const shapesDue = this.shapeStale && performance.now() - this.lastBuild > SHAPE_REBUILD_SPACING_MS;
    const changed = this.changed;
    this.changed = new Set();
    if (!must && !shapesDue) {
      this.dom.refresh(this.rows.lookup, changed);
      return;
    }
    const model = buildGraph(store, structure, {
      ...DEFAULT_GRAPH_OPTIONS,
      focusId: focus,
      whole: this.view.wholeGraph,
      threshold: this.view.groupThreshold,
      expandedGroups: this.view.expandedGroups,
    });
    const fit = !b || b.whole !== this.view.wholeGraph || b.focus !== focus;
    this.built = { structure, whole: this.view.wholeGraph, groups: this.view.expandedGroups.size, focus };
    this.shapes = new Map();
    this.shapeStale = false;
    this.lastBuild = performance.now();
    for (const node of model.nodes) for (const id of node.group ?? [node.id]) this.shapes.set(id, graphShape(store.get(id)!));
    if (focus !== null) this.dom.selectedKey = this.keyFor(model, focus);
    this.dom.setGraph(model, this.rows.lookup, fit);
    this.describe(model);
  }

  /** Whether a Deferred drawn changed shape (it may have to join or leave a group). */
  private checkShapes(): void {
    if (this.changed === null) {
      this.shapeStale = true;
      return;
    }
    for (const id of this.changed) {
      const before = this.shapes.get(id);
      const d = this.rows.lookup(id);
      if (before !== undefined && d && graphShape(d) !== before) this.shapeStale = true;
    }
  }

  private drawnIds(model: GraphModel): Set<number> {
    const ids = new Set<number>();
    for (const node of model.nodes) for (const id of node.group ?? [node.id]) ids.add(id);
    return ids;
  }

  /** The node standing for Deferred `id`: its own, or its group's. */
  keyFor(model: GraphModel, id: number): string | null {
    if (model.index.has(deferredKey(id))) return deferredKey(id);
    const group = model.nodes.find((n) => n.group?.includes(id));
    return group ? group.key : null;
  }

  /** The tree selected a Deferred: the graph follows (rebuilding if it is not in the part shown). */
  select(id: number): void {
    this.focusId = id;
    if (!this.dom.active) return;
    this.update();
    const model = this.dom.model;
    const key = model ? this.keyFor(model, id) : null;
    if (key) this.dom.select(key);
  }

  private toggleGroup(leader: number): void {
    const key = groupKey(leader);
    if (this.view.expandedGroups.has(key)) this.view.expandedGroups.delete(key);
    else this.view.expandedGroups.add(key);
    this.update(true);
    this.host.changed();
  }

  private describe(model: GraphModel): void {
    const focus = this.focusId !== null ? this.rows.lookup(this.focusId) : undefined;
    const what = model.scope === 'connected' && focus ? 'the selected Deferred’s part' : 'whole graph';
    const omitted = model.omitted > 0 ? ` · ${model.omitted} more not drawn (limit ${DEFAULT_GRAPH_OPTIONS.limit})` : '';
    this.note.textContent = `${what} · ${model.nodes.length} node${model.nodes.length === 1 ? '' : 's'}${omitted}`;
  }

  private async export(format: 'svg' | 'png'): Promise<void> {
    const model = this.dom.model;
    if (!model) return;
    const text = graphSvg(model, this.dom.x, this.dom.y, this.rows.lookup);
    try {
      this.host.post({ type: 'exportImage', format, data: format === 'svg' ? text : await svgToPng(text) });
    } catch (error) {
      this.note.textContent = `Export failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}
