/**
 * The webview's link to the extension host and its persisted view state. In VS Code this is
 * `acquireVsCodeApi()`; anywhere else (a browser bench, a DOM test) an in-memory stand-in keeps
 * the same interface, so the app never needs to know where it runs.
 */
import type { FromWebviewMessage } from '../src/protocol/protocol';
import { DEFAULT_GROUP_THRESHOLD } from './grouping';

export interface HostApi {
  postMessage(message: FromWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}

/** View state kept across reloads: only how the user looks at the graph, never the graph. */
export interface ViewState {
  hideFired: boolean;
  hideCollected: boolean;
  /** Only the Deferreds that look stuck (viewWhy.ts `isStuck`). */
  onlyStuck: boolean;
  search: string;
  /** Explicit expand/collapse choices by Deferred id, oldest first (a Map keeps insertion order). */
  expanded: Map<number, boolean>;
  scrollTop: number;
  selectedKey: string | null;
  /** The session these choices were made in: Deferred ids mean nothing in another one. */
  sessionId: string | null;
  /** Which view of the model the panel shows. */
  mode: 'tree' | 'graph';
  /** The graph shows everything (up to its limit), not only the selected Deferred's part. */
  wholeGraph: boolean;
  /** Groups of identical Deferreds the user expanded (grouping.ts `groupKey`). */
  expandedGroups: Set<string>;
  /** Chains the user expanded, by the id of their first link. */
  expandedChains: Set<number>;
  /** Identical siblings collapse into one row / node from this many (grouping.ts). */
  groupThreshold: number;
  /** Widths (px) of the state and result columns the user dragged; null: the default share. */
  columnWidths: { state: number | null; result: number | null };
}

/** Expand/collapse choices remembered; older ones are dropped so the state stays small. */
export const MAX_REMEMBERED_EXPANSIONS = 2000;

export function defaultViewState(): ViewState {
  return {
    hideFired: false,
    hideCollected: false,
    onlyStuck: false,
    search: '',
    expanded: new Map(),
    scrollTop: 0,
    selectedKey: null,
    sessionId: null,
    mode: 'tree',
    wholeGraph: false,
    expandedGroups: new Set(),
    expandedChains: new Set(),
    groupThreshold: DEFAULT_GROUP_THRESHOLD,
    columnWidths: { state: null, result: null },
  };
}

/** Reads a persisted state defensively: anything malformed falls back to the default. */
export function restoreViewState(raw: unknown): ViewState {
  const state = defaultViewState();
  if (!raw || typeof raw !== 'object') return state;
  const r = raw as Record<string, unknown>;
  if (typeof r.hideFired === 'boolean') state.hideFired = r.hideFired;
  if (typeof r.hideCollected === 'boolean') state.hideCollected = r.hideCollected;
  if (typeof r.onlyStuck === 'boolean') state.onlyStuck = r.onlyStuck;
  if (typeof r.search === 'string') state.search = r.search.slice(0, 200);
  if (typeof r.scrollTop === 'number' && Number.isFinite(r.scrollTop) && r.scrollTop >= 0) state.scrollTop = r.scrollTop;
  if (typeof r.selectedKey === 'string') state.selectedKey = r.selectedKey;
  if (typeof r.sessionId === 'string') state.sessionId = r.sessionId;
  if (r.mode === 'graph' || r.mode === 'tree') state.mode = r.mode;
  if (typeof r.wholeGraph === 'boolean') state.wholeGraph = r.wholeGraph;
  if (Array.isArray(r.expandedGroups)) {
    for (const key of r.expandedGroups.slice(-MAX_REMEMBERED_EXPANSIONS)) if (typeof key === 'string') state.expandedGroups.add(key);
  }
  if (Array.isArray(r.expandedChains)) {
    for (const id of r.expandedChains.slice(-MAX_REMEMBERED_EXPANSIONS)) if (Number.isInteger(id)) state.expandedChains.add(id);
  }
  const widths = r.columnWidths as Record<string, unknown> | undefined;
  for (const column of ['state', 'result'] as const) {
    const w = widths?.[column];
    if (typeof w === 'number' && Number.isFinite(w) && w >= 24 && w <= 4000) state.columnWidths[column] = w;
  }
  if (Array.isArray(r.expanded)) {
    for (const pair of r.expanded.slice(-MAX_REMEMBERED_EXPANSIONS)) {
      if (Array.isArray(pair) && Number.isInteger(pair[0]) && typeof pair[1] === 'boolean') state.expanded.set(pair[0], pair[1]);
    }
  }
  return state;
}

/** The JSON-safe form given to `setState` (a Map does not survive serialisation). */
export function persistableViewState(state: ViewState): Record<string, unknown> {
  return {
    ...state,
    expanded: [...state.expanded],
    expandedGroups: [...state.expandedGroups],
    expandedChains: [...state.expandedChains],
  };
}

/** Records an expand/collapse choice, forgetting the oldest beyond the limit. */
export function rememberExpansion(state: ViewState, id: number, expanded: boolean): void {
  state.expanded.delete(id);
  state.expanded.set(id, expanded);
  for (const oldest of state.expanded.keys()) {
    if (state.expanded.size <= MAX_REMEMBERED_EXPANSIONS) break;
    state.expanded.delete(oldest);
  }
}

declare function acquireVsCodeApi(): HostApi;

/** VS Code's API when running in a webview, else an in-memory stand-in that posts nowhere. */
export function connectHost(): HostApi {
  if (typeof acquireVsCodeApi === 'function') return acquireVsCodeApi();
  let state: unknown;
  return {
    postMessage: () => undefined,
    getState: () => state,
    setState: (s) => {
      state = s;
    },
  };
}
