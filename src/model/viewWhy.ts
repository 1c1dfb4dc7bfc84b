/**
 * The words of "why": what a pending Deferred waits for (`blockedBy`), the root of that wait,
 * who fired it, where its Failure came from. Part of view.ts (which re-exports all of it and is
 * the module the webview and the CLI take their words from); kept apart only so neither file
 * outgrows its budget. It imports nothing from view.ts: names of other Deferreds come in as
 * `nameOf`.
 *
 * The runtime sends a fact phrase per kind ("in 1.8 s · deferLater(on_done)"); the row's line
 * is composed here: the kind's word, the phrase, the other Deferreds by name, the location.
 */
import type { BlockedBy, DeferredState, DeferredView, Location } from '../protocol/protocol';

/** How a line names another Deferred ("b (#4)"), from view.ts's refName. */
export type NameOf = (id: number) => string;

/** A debuggee string as text, whatever the message held in its place. */
const str = (value: unknown): string => (typeof value === 'string' ? value : value == null ? '' : String(value));

/** A source location by its file's base name: the full path goes in the tooltip. */
export function locationText(file: string, line: number | null): string {
  const base = file.split(/[\\/]/).pop() || file;
  return `${base}${line != null ? `:${line}` : ''}`;
}

/** `fetch() poetry.py:42`, or '' without a location. */
export function placeText(loc: Location | null | undefined): string {
  if (!loc || typeof loc.file !== 'string' || !loc.file) return '';
  return `${str(loc.function)}() ${locationText(loc.file, typeof loc.line === 'number' ? loc.line : null)}`;
}

const ids = (b: BlockedBy): number[] => (Array.isArray(b.ids) ? b.ids.filter((i) => typeof i === 'number') : []);

function names(list: number[], nameOf: NameOf, most = 3): string {
  const shown = list.slice(0, most).map(nameOf).join(', ');
  return list.length > most ? `${shown} and ${list.length - most} more` : shown;
}

/** The icon-like word a kind starts its line with (the panel may draw an icon instead). */
export const KIND_WORDS: Readonly<Record<string, string>> = {
  deferred: 'waiting on',
  list: 'list',
  generator: 'generator',
  timer: 'timer',
  thread: 'thread',
  process: 'process',
  connection: 'connection',
  lock: 'lock',
  queue: 'queue',
  orphan: 'orphan',
  unknown: 'held by',
};

/** The kind as a known keyword; anything else (a newer runtime's) reads as unknown. */
export function whyKind(b: BlockedBy): string {
  return Object.hasOwn(KIND_WORDS, b.kind) ? b.kind : 'unknown';
}

/**
 * One line for a `blockedBy` (awaited Deferreds named) or a `root` (`ids` is then its path, so
 * none are named): "timer in 1.8 s · deferLater(on_done), tale3_deferlater.py:28". `short`:
 * nested functions by their own name ({@link shortNames}), for a row's one line;
 * "waiting on b (#4)", "list 2 of 5 fired — waiting on #4, #5", "orphan — nothing can ever fire
 * it".
 */
export function whyText(b: BlockedBy, nameOf: NameOf, isRoot = false, short = false): string {
  const kind = whyKind(b);
  const phrase = short ? shortNames(str(b.text)) : str(b.text);
  const where = b.location && typeof b.location.file === 'string' && b.location.file ? b.location : null;
  const at = where ? `, ${locationText(where.file, typeof where.line === 'number' ? where.line : null)}` : '';
  const awaited = isRoot ? [] : ids(b);
  switch (kind) {
    case 'deferred':
      return awaited.length ? `waiting on ${names(awaited, nameOf)}${phrase === 'chained' ? '' : ` (${phrase})`}` : 'waiting on a Deferred';
    case 'list':
      return `list ${phrase}${awaited.length ? ` — waiting on ${names(awaited, nameOf)}` : ''}`;
    case 'generator':
      return `generator ${phrase}${at}${awaited.length ? ` — awaiting ${names(awaited, nameOf)}` : ''}`;
    case 'orphan':
      return 'orphan — nothing can ever fire it';
    case 'unknown':
      return `${phrase}${awaited.length ? ` ${names(awaited, nameOf)}` : ''}${at}`;
    default:
      return `${KIND_WORDS[kind]} ${phrase}${awaited.length ? ` — waiting on ${names(awaited, nameOf)}` : ''}${at}`;
  }
}

/**
 * A phrase with nested functions by their own name, for a row's one line (the full qualified
 * name stays in its tooltip and details): `deferLater(schedule_install.<locals>.on_done)` →
 * `deferLater(on_done)`.
 */
export function shortNames(phrase: string): string {
  return phrase.replace(/(?:[\w<>]+\.<locals>\.)+/g, '');
}

/** The row's one line of "why": its root, else what it waits for, else null (not pending). */
export function rootText(view: Pick<DeferredView, 'blockedBy' | 'root'>, nameOf: NameOf): string | null {
  if (view.root) return whyText(view.root, nameOf, true);
  return view.blockedBy ? whyText(view.blockedBy, nameOf) : null;
}

/** The path followed to the root, this Deferred first: `a (#1) → b (#2) → #3`. */
export function pathText(view: Pick<DeferredView, 'root'>, nameOf: NameOf): string {
  return view.root ? ids(view.root).map(nameOf).join(' → ') : '';
}

/**
 * What a row still waiting reads instead of a bare "pending": its root, else what it waits
 * for; null once it has its result (nothing to wait for) or when the runtime sent no why (1.2).
 */
export function rowWhy(view: Pick<DeferredView, 'blockedBy' | 'root' | 'called' | 'waitingOn' | 'paused'>): BlockedBy | null {
  return stillWaiting(view) ? (view.root ?? view.blockedBy ?? null) : null;
}

/**
 * A waiting row's one line: where its wait ends, after its first step when the end is further
 * ("waiting on b (#4) → timer in 1.8 s · deferLater(on_done), tale3_deferlater.py:27", "list 0
 * of 15 fired → timer …"), nested functions by their own name; null when {@link rowWhy} is.
 */
export function rowWhyText(
  view: Pick<DeferredView, 'blockedBy' | 'root' | 'called' | 'waitingOn' | 'paused'>,
  nameOf: NameOf,
): string | null {
  const why = rowWhy(view);
  if (!why) return null;
  const end = whyText(why, nameOf, why === view.root, true);
  const b = view.blockedBy;
  if (!b || why !== view.root || !(Array.isArray(why.ids) && why.ids.length > 1)) return end;
  // The first step names the Deferred it waits on; a list's or a generator's many are left to the details.
  return `${whyText(b, nameOf, whyKind(b) !== 'deferred', true)} → ${end}`;
}

/** Not fired yet, or fired but waiting on another Deferred or paused: its result is still to come. */
function stillWaiting(view: Pick<DeferredView, 'called' | 'waitingOn' | 'paused'>): boolean {
  return !view.called || view.waitingOn != null || view.paused > 0;
}

/** Said of an orphan wherever it is marked (the row's warning, the header's count). */
export const ORPHAN_HINT =
  'Orphan: nothing can ever fire this Deferred. Only its own waiters refer to it; usually a callback returned a Deferred that nobody will fire. This is a bug.';

/** Said of a Failure with no errback left ({@link isUnhandledNow}). */
export const UNHANDLED_NOW_TEXT = 'unhandled now: a Failure and no errback left';

/** The mark of a Deferred whose callbacks run right now. */
export const RUNNING_TEXT = 'running its callbacks now';

/** A Deferred unchanged this long (on the program's clock) counts as stuck. */
export const STUCK_QUIET_MS = 10_000;

export const STUCK_FILTER_TEXT = 'Only stuck';

export const STUCK_FILTER_HINT = `Show only the Deferreds that look stuck: nothing can ever fire them (orphans), the timer that would fire them is overdue by a second or more or cancelled, or nothing about them has changed for ${STUCK_QUIET_MS / 1000} s on the program's clock (a timer still due does not count). Exact at a stop; while the program runs, at most one update old.`;

/**
 * A timer phrase that says the timer will not fire it soon: `overdue by 1.2 s` (the runtime
 * writes whole seconds from 1 s up, `overdue by 3 ms` below — timers.py `_in_text`), or a
 * DelayedCall cancelled (`… · cancelled`).
 */
export function timerStuck(b: BlockedBy): boolean {
  const phrase = str(b.text);
  return /^overdue by [\d.]+ s\b/.test(phrase) || /· cancelled\b/.test(phrase);
}

/**
 * Whether a Deferred looks stuck (the "only stuck" filter): still waiting, and its wait ends at
 * an orphan or a timer that will not fire it, or — unless a timer is still due to — it has not
 * changed for {@link STUCK_QUIET_MS} by `clock`, the program's clock at the newest event (at a
 * stop, the stop itself, so the time spent paused does not count).
 */
export function isStuck(
  view: Pick<DeferredView, 'blockedBy' | 'root' | 'called' | 'waitingOn' | 'paused' | 'collected' | 'changedAt' | 'createdAt'>,
  clock: number | null,
): boolean {
  if (view.collected || !stillWaiting(view)) return false;
  if (isOrphan(view)) return true;
  const why = rowWhy(view);
  if (why && whyKind(why) === 'timer') return timerStuck(why);
  const since = typeof view.changedAt === 'number' ? view.changedAt : view.createdAt;
  return clock !== null && typeof since === 'number' && clock - since >= STUCK_QUIET_MS;
}

/** Whether nothing can ever fire it, or the wait ends at something that cannot. */
export function isOrphan(view: Pick<DeferredView, 'blockedBy' | 'root'>): boolean {
  return view.blockedBy?.kind === 'orphan' || view.root?.kind === 'orphan';
}

/**
 * A chain that ends holding a Failure with no errback left: unhandled now, not when Twisted
 * logs "Unhandled error in Deferred" at garbage collection.
 */
export function isUnhandledNow(
  view: Pick<DeferredState, 'hasResult' | 'result' | 'callbacks' | 'paused'> & { collected?: boolean },
): boolean {
  const pending = Array.isArray(view.callbacks) ? view.callbacks.length : 0;
  return view.hasResult && view.result?.kind === 'failure' && pending === 0 && !(view.paused > 0) && !view.collected;
}

/** "fired by poem_finished() poetry_client.py:42", with the second caller after an AlreadyCalledError. */
export function firedByText(view: Pick<DeferredView, 'firedBy' | 'firedAgainBy'>): string | null {
  if (!view.firedBy && !view.firedAgainBy) return null;
  const first = view.firedBy ? `fired by ${placeText(view.firedBy)}` : 'fired';
  return view.firedAgainBy ? `${first}; fired again by ${placeText(view.firedAgainBy)} (AlreadyCalledError)` : first;
}

/**
 * A piece of a detail line. A segment with a location opens that file, one with a target
 * reveals that Deferred's row; `full` is the uncut text for a tooltip; a muted one is the
 * connecting words around the facts.
 */
export interface DetailSegment {
  text: string;
  location?: { file: string; line: number };
  target?: number;
  full?: string;
  muted?: boolean;
}

export function at(file: unknown, line: unknown): DetailSegment[] {
  if (typeof file !== 'string' || !file) return [];
  const lineNo = typeof line === 'number' && Number.isInteger(line) && line > 0 ? line : null;
  const seg: DetailSegment = { text: locationText(file, lineNo), full: file };
  if (lineNo !== null) seg.location = { file, line: lineNo };
  return [{ text: ' ', muted: true }, seg];
}

/** How many lines {@link whyLines} gives, without building them. */
export function whyLineCount(view: DeferredView): number {
  let n = 0;
  if (view.blockedBy) n++;
  if (view.root && view.root.kind !== view.blockedBy?.kind) n++;
  if (view.root && Array.isArray(view.root.ids) && view.root.ids.length > 1) n++;
  if (view.firedBy || view.firedAgainBy) n++;
  if (view.running) n++;
  const f = view.hasResult && view.result?.kind === 'failure' ? view.result : null;
  if (f?.raisedBy) n++;
  if (f && Array.isArray(f.frames)) n += f.frames.length;
  if (isUnhandledNow(view)) n++;
  return n;
}

/** A place as a clickable segment: `fetch()` then `poetry.py:42`. */
function placeSegments(loc: Location | null | undefined): DetailSegment[] {
  if (!loc) return [];
  return [{ text: `${str(loc.function)}()` }, ...at(loc.file, loc.line)];
}

/**
 * The "why" lines of an expanded row: what it waits for, the root and the path to it (each
 * Deferred a link), who fired it, that its callbacks run now, where its Failure was raised and
 * its traceback (a frame a line, innermost last), and whether that Failure is unhandled now.
 */
export function whyLines(view: DeferredView, nameOf: NameOf): DetailSegment[][] {
  const lines: DetailSegment[][] = [];
  const b = view.blockedBy;
  const withPlace = (label: string, item: BlockedBy, isRoot: boolean): DetailSegment[] => {
    const line = whyText(item, nameOf, isRoot);
    const loc = item.location;
    const seg: DetailSegment = { text: line, full: line };
    if (loc && typeof loc.file === 'string' && loc.file && Number.isInteger(loc.line) && loc.line > 0)
      seg.location = { file: loc.file, line: loc.line };
    // What it waits for leads to the first Deferred awaited; a root without a place, to the
    // Deferred at the end of the path (the orphan itself, say).
    const list = Array.isArray(item.ids) ? item.ids.filter((i) => typeof i === 'number') : [];
    const next = isRoot ? (list.length > 1 ? list[list.length - 1] : undefined) : list[0];
    if (next !== undefined && !seg.location) seg.target = next;
    return [{ text: label, muted: true }, seg];
  };
  if (b) lines.push(withPlace('waits for ', b, false));
  const r = view.root;
  if (r && r.kind !== b?.kind) lines.push(withPlace('root ', r, true));
  if (r && Array.isArray(r.ids) && r.ids.length > 1) {
    const path: DetailSegment[] = [{ text: 'path ', muted: true }];
    r.ids.forEach((id, i) => {
      if (i) path.push({ text: ' → ', muted: true });
      path.push({ text: nameOf(id), target: id });
    });
    lines.push(path);
  }
  if (view.firedBy || view.firedAgainBy) {
    const line: DetailSegment[] = [{ text: 'fired by ', muted: true }, ...placeSegments(view.firedBy)];
    if (view.firedAgainBy)
      line.push({ text: '   fired again by ', muted: true }, ...placeSegments(view.firedAgainBy), {
        text: ' (AlreadyCalledError)',
        muted: true,
      });
    lines.push(line);
  }
  if (view.running) lines.push([{ text: RUNNING_TEXT }]);
  const f = view.hasResult && view.result?.kind === 'failure' ? view.result : null;
  if (f?.raisedBy) lines.push([{ text: 'raised by callback ', muted: true }, ...placeSegments(f.raisedBy)]);
  // A frame a line (rows are one line high: a traceback on one line would run off the panel).
  if (f && Array.isArray(f.frames)) {
    const n = f.frames.length;
    f.frames.forEach((frame, i) => {
      lines.push([{ text: `traceback ${i + 1}/${n}${i === n - 1 ? ' (innermost) ' : ' '}`, muted: true }, ...placeSegments(frame)]);
    });
  }
  if (isUnhandledNow(view)) lines.push([{ text: UNHANDLED_NOW_TEXT }]);
  return lines;
}
