/**
 * The cells of a Deferred row (one Deferred, a group of identical ones or a chain): status
 * icon, label, marks (unhandled, orphan, running), the state — for a Deferred still waiting,
 * the icon of its why's kind and the root of its wait — result and callback count. Apart from
 * treeDom.ts, which decides which rows exist and when they are drawn.
 */
import {
  chainText,
  displayName,
  groupDescription,
  knownStatus,
  ORPHAN_HINT,
  pathText,
  RUNNING_TEXT,
  refName,
  resultText,
  rootText,
  stateText,
  type ViewLookup,
} from '../src/model/view';
import type { DeferredView } from '../src/protocol/protocol';
import { setText, span } from './dom';
import { tooltipText } from './format';
import { isSummary, type Row, type SummaryRow } from './treeStructure';

const STATUS_ICONS: Record<string, string> = {
  pending: 'codicon-circle-large-outline',
  waiting: 'codicon-link',
  paused: 'codicon-debug-pause',
  fired: 'codicon-pass',
  failed: 'codicon-error',
};

/** What a waiting row's why starts with, by kind (KIND_WORDS in viewWhy.ts are the words). */
const WHY_ICONS: Record<string, string> = {
  deferred: 'codicon-link',
  list: 'codicon-list-unordered',
  generator: 'codicon-symbol-method',
  timer: 'codicon-watch',
  thread: 'codicon-server-process',
  process: 'codicon-terminal',
  connection: 'codicon-plug',
  lock: 'codicon-lock',
  queue: 'codicon-list-ordered',
  orphan: 'codicon-warning',
  unknown: 'codicon-question',
};

/**
 * Fills a Deferred row, updating the spans of one already drawn in place: a row whose result
 * changes every frame keeps its elements, so a click on it is never lost to an update.
 */
export function fillSummaryRow(
  el: HTMLElement,
  row: SummaryRow,
  [label, meta, state, result, count, relation, marks, why]: string[],
  indent: string,
  lookup: ViewLookup,
): void {
  if (!isSummary({ kind: el.dataset.kind } as Row)) {
    const first = span('cell-name', '');
    first.append(
      span('twistie', ''),
      span('icon', ''),
      span('cell-label', ''),
      span('cell-meta', ''),
      span('badge', ''),
      span('badge unhandled codicon codicon-warning', '', 'Collected with an unhandled failure'),
      span('badge orphan-mark codicon codicon-warning', '', ORPHAN_HINT),
      span('badge running-mark codicon codicon-sync', '', RUNNING_TEXT),
    );
    const stateCell = span('cell-state', '');
    stateCell.append(span('why-icon codicon', ''), span('state-text', ''));
    el.replaceChildren(first, stateCell, span('cell-result', ''), span('cell-callbacks', ''));
  }
  const [first, stateEl, resultEl, countEl] = Array.from(el.children) as HTMLElement[];
  const [twistie, icon, labelEl, metaEl, relationEl, unhandledEl, orphanEl, runningEl] = Array.from(first.children) as HTMLElement[];
  const [whyIcon, stateTextEl] = Array.from(stateEl.children) as HTMLElement[];
  const d = row.d;
  first.style.paddingLeft = indent;
  twistie.className = `twistie codicon ${row.expanded ? 'codicon-chevron-down' : 'codicon-chevron-right'}`;
  icon.className = `icon codicon ${STATUS_ICONS[knownStatus(d)]}`;
  setText(labelEl, label);
  labelEl.title = tooltipText(
    row.kind === 'group'
      ? groupDescription(row.members.length, d)
      : row.kind === 'chain'
        ? chainText(row.run.length, d, lookup)
        : displayName(d),
  );
  setText(metaEl, meta);
  relationEl.className = `badge relation-${relation}`;
  setText(relationEl, relation);
  relationEl.hidden = !relation;
  unhandledEl.hidden = !marks.includes('u');
  orphanEl.hidden = !marks.includes('o');
  runningEl.hidden = !marks.includes('r');
  whyIcon.className = why ? `why-icon codicon ${WHY_ICONS[why]}` : 'why-icon';
  whyIcon.hidden = !why;
  stateEl.dataset.why = why;
  setText(stateTextEl, state);
  stateEl.title = why ? whyTitle(d, lookup) : state;
  resultEl.className = `cell-result${result === 'N/A' ? ' na' : ''}`;
  setText(resultEl, result);
  resultEl.title = d.hasResult && d.result && d.result.kind !== 'deferred' ? tooltipText(resultText(d)) : '';
  setText(countEl, count);
  countEl.title = `${count} pending callback pair${count === '1' ? '' : 's'} (len(d.callbacks))`;
}

/** The why cell's tooltip: the whole line (names unshortened), the path to the root and the plain state. */
function whyTitle(d: DeferredView, lookup: ViewLookup): string {
  const nameOf = (id: number) => refName(id, lookup);
  const path = d.root && Array.isArray(d.root.ids) && d.root.ids.length > 1 ? pathText(d, nameOf) : '';
  // Each part made safe on its own: the newlines between them are ours, not the program's.
  return [rootText(d, nameOf), path, stateText(d, lookup)]
    .filter(Boolean)
    .map((part) => tooltipText(part))
    .join('\n');
}
