/**
 * The last known graph, kept across a window reload.
 *
 * "Developer: Reload Window" terminates the extension host (code-server logs "Extension host
 * terminating: received terminate message from renderer"); the debug adapter, a child of that
 * host, goes with it, and the new window has no debug session at all. So the live model cannot
 * survive a reload. What can: the active session's latest state, written to a file in the
 * workspace's storage while the session runs, and shown by the restored panel as an ended
 * session with a notice saying so — never as live.
 *
 * Writes are bounded: at most one per `SAVE_INTERVAL_MS`, or less often when saving is slow
 * (`MAX_SAVE_SHARE`); on the leading and trailing edge, so the state at a stop is on disk at once
 * and a burst ends with its last state; at most `MAX_BYTES` of views (named and pending
 * Deferreds kept first); and a final synchronous write when the host shuts down.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import type { DeferredView, GraphHeader, SessionSummary } from '../protocol/protocol';
import type { SessionManager } from './sessions';

const FILE_NAME = 'last-session.json';
const FORMAT = 1;
const SAVE_INTERVAL_MS = 1000;
/** A save may take at most this share of the host's time (large graphs save less often). */
const MAX_SAVE_SHARE = 0.02;
const MAX_BYTES = 2_000_000;

/** A session's graph as it was last saved; what the panel shows after a reload. */
export interface RestoredGraph {
  summary: SessionSummary;
  header: GraphHeader;
  deferreds: DeferredView[];
}

interface SavedFile extends RestoredGraph {
  format: number;
  savedAt: number;
  /** Views left out to stay under MAX_BYTES. */
  omitted: number;
}

export class LastSessionStore implements vscode.Disposable {
  private readonly file: string;
  private loaded: RestoredGraph | null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private lastSavedAt = 0;
  private intervalMs = SAVE_INTERVAL_MS;
  private readonly disposables: vscode.Disposable[];

  constructor(
    storageDir: string,
    private readonly sessions: SessionManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.file = path.join(storageDir, FILE_NAME);
    this.loaded = this.load();
    const changed = () => this.changed();
    this.disposables = [sessions.onDidChangeGraph(changed), sessions.onDidChangeSessions(changed)];
  }

  /** The graph saved by the previous extension host, until a live session replaces it. */
  get restored(): RestoredGraph | null {
    return this.loaded;
  }

  private changed(): void {
    if (this.sessions.activeSessionId === null) return;
    // A live session now has the panel; the old graph must not come back in its place.
    this.loaded = null;
    this.dirty = true;
    if (this.timer) return;
    const delay = Math.max(0, this.lastSavedAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save();
    }, delay);
  }

  /** Writes the active session's state (tmp file + rename, so a reader never sees half). */
  private save(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.lastSavedAt = Date.now();
    const text = this.serialize();
    if (text === null) return;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, text);
      fs.renameSync(tmp, this.file);
    } catch (error) {
      this.log.warn(`cannot save the last session state to ${this.file}: ${error}`);
    }
    this.intervalMs = Math.max(SAVE_INTERVAL_MS, (Date.now() - this.lastSavedAt) / MAX_SAVE_SHARE);
  }

  private serialize(): string | null {
    const id = this.sessions.activeSessionId;
    const record = id ? this.sessions.get(id) : undefined;
    const summary = this.sessions.summaries().find((s) => s.id === id);
    if (!record || !summary) return null;
    const { kept, omitted } = capViews(record.model.views(), MAX_BYTES);
    const head: Omit<SavedFile, 'deferreds'> = {
      format: FORMAT,
      savedAt: Date.now(),
      summary,
      header: record.model.header(),
      omitted,
    };
    // The views are already JSON (capViews measured them that way): splice them in as text.
    return `${JSON.stringify(head).slice(0, -1)},"deferreds":[${kept.join(',')}]}`;
  }

  /** Reads what the previous host saved; a missing or unreadable file restores nothing. */
  private load(): RestoredGraph | null {
    let saved: Partial<SavedFile>;
    try {
      saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<SavedFile>;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.warn(`ignoring the saved session state in ${this.file}: ${error}`);
      }
      return null;
    }
    const summary = saved.summary;
    if (
      saved.format !== FORMAT ||
      typeof summary?.id !== 'string' ||
      typeof summary.name !== 'string' ||
      typeof saved.header !== 'object' ||
      saved.header === null ||
      !Array.isArray(saved.deferreds)
    ) {
      this.log.warn(`ignoring the saved session state in ${this.file}: not format ${FORMAT}`);
      return null;
    }
    return {
      summary: { ...summary, state: 'ended', notice: restoredNotice(saved) },
      header: { ...saved.header, sessionId: summary.id },
      deferreds: saved.deferreds,
    };
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // The host is going away (e.g. a window reload): the last state must reach the disk now.
    this.save();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

function restoredNotice(saved: Partial<SavedFile>): string {
  const at = typeof saved.savedAt === 'number' ? new Date(saved.savedAt).toLocaleTimeString() : 'an unknown time';
  const omitted = typeof saved.omitted === 'number' && saved.omitted > 0 ? ` (${saved.omitted} Deferreds not kept)` : '';
  return (
    `Restored from the previous window: this session ended with it (a reload ends debug sessions). ` +
    `Last known state, saved at ${at}${omitted}; start debugging again for a live view.`
  );
}

/**
 * The JSON of the views that fit in `maxBytes`, the named and pending ones first (those are what
 * the user was looking at), in their original order.
 */
export function capViews(views: DeferredView[], maxBytes: number): { kept: string[]; omitted: number } {
  const rank = (v: DeferredView) => (v.name !== null ? 0 : 2) + (v.collected ? 1 : 0);
  const byPriority = views.map((view, index) => ({ view, index })).sort((a, b) => rank(a.view) - rank(b.view));
  const kept = new Map<number, string>();
  let bytes = 0;
  for (const { view, index } of byPriority) {
    const text = JSON.stringify(view);
    bytes += text.length + 1;
    if (bytes > maxBytes) break;
    kept.set(index, text);
  }
  const inOrder = [...kept.entries()].sort((a, b) => a[0] - b[0]).map(([, text]) => text);
  return { kept: inOrder, omitted: views.length - kept.size };
}
