/**
 * `deferred-graph why FILE.jsonl LABEL|ID`: the path from one Deferred to the root of its wait,
 * one line per Deferred followed, in the panel's words (src/model/view.ts), then the root.
 */
import { displayName, firedByText, refName, type ViewLookup, whyText } from '../model';
import type { DeferredView } from '../protocol/protocol';
import { cell } from './table';

/** The Deferred a command-line target names: `12`, `#12`, or a label/frame name (first match). */
export function findTarget(views: DeferredView[], target: string): DeferredView | undefined {
  const asId = /^#?(\d+)$/.exec(target);
  if (asId) {
    const byId = views.find((v) => v.id === Number(asId[1]));
    if (byId) return byId;
  }
  return views.find((v) => displayName(v) === target || v.label === target || v.name === target);
}

/** The lines `why` prints for `view`. */
export function whyReport(view: DeferredView, lookup: ViewLookup): string[] {
  const nameOf = (id: number) => refName(id, lookup);
  const head = `${cell(displayName(view), 120)} (#${view.id})`;
  const fired = firedByText(view);
  if (!view.blockedBy) return [`${head}: not pending (${view.status})${fired ? `; ${cell(fired, 200)}` : ''}`];
  const lines = [`${head}: ${cell(whyText(view.blockedBy, nameOf), 300)}`];
  const path = view.root && Array.isArray(view.root.ids) ? view.root.ids : [view.id];
  path.forEach((id, depth) => {
    const step = lookup(id);
    const what = step?.blockedBy ? whyText(step.blockedBy, nameOf) : 'not known';
    lines.push(`${'  '.repeat(depth + 1)}${depth ? '└ ' : ''}${cell(nameOf(id), 120)}: ${cell(what, 300)}`);
  });
  if (view.root) lines.push(`root: ${cell(whyText(view.root, nameOf, true), 300)}`);
  return lines;
}
