/**
 * What the VS Code API tests share: the extension's test API, real debugpy sessions of small
 * Python programs written to a temporary folder, breakpoints at lines marked `# STOP:name`, and
 * a DAP tracker that records what each session printed and where it stopped. No part of
 * VS Code is mocked: sessions run through the real debug service and debugpy's own adapter.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type DeferredGraphApi, TEST_API_ENV } from '../../src/extension/extension';
import type { DeferredView } from '../../src/protocol/protocol';
import { PostedView } from './postedView';
import { step } from './runner';

export const EXTENSION_ID = 'deferred-graph.deferred-graph';
export const PYTHON = process.env.DG_TEST_PYTHON || '/usr/bin/python3';

export function extension(): vscode.Extension<DeferredGraphApi> {
  const ext = vscode.extensions.getExtension<DeferredGraphApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this VS Code`);
  return ext;
}

const posted = new PostedView();
let _postedSubscription: vscode.Disposable | null = null;

/** The extension's test API; from the first call on, what its panel posts is folded. */
export async function api(): Promise<DeferredGraphApi> {
  const graph = await extension().activate();
  assert.ok(graph, `the extension returned no test API: the harness must set ${TEST_API_ENV}=1 for its extension host`);
  _postedSubscription ??= graph.onDidPostMessage((message) => posted.fold(message));
  return graph;
}

/** What the panel's webview shows, rebuilt from the messages it accepted. */
export function panelView(): { activeSessionId: string | null; deferreds: DeferredView[] } {
  return { activeSessionId: posted.activeSessionId, deferreds: [...posted.rows.values()] };
}

/** Polls `probe` until it returns a truthy value; fails with `what` and the last value seen. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 30_000,
  explain: () => unknown = () => undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  step(`waiting for ${what}`);
  for (;;) {
    last = await probe();
    if (last) return last as T;
    if (Date.now() > deadline) {
      const context = JSON.stringify(await explain()) ?? '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)}) ${context}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What the recording tracker saw of one session. */
interface Observed {
  output: string;
  stoppedThreadId: number | null;
  stops: number;
  ended: boolean;
}

const observed = new Map<string, Observed>();
let trackerRegistration: vscode.Disposable | null = null;

function observe(sessionId: string): Observed {
  let entry = observed.get(sessionId);
  if (!entry) {
    entry = { output: '', stoppedThreadId: null, stops: 0, ended: false };
    observed.set(sessionId, entry);
  }
  return entry;
}

/** Starts recording output and stops of every debug session (idempotent). */
export function startObserving(): void {
  if (trackerRegistration) return;
  const trackers = vscode.debug.registerDebugAdapterTrackerFactory('*', {
    createDebugAdapterTracker(session) {
      const entry = observe(session.id);
      return {
        onDidSendMessage(message: { type?: string; event?: string; body?: Record<string, unknown> }) {
          if (message.type !== 'event') return;
          if (message.event === 'output' && typeof message.body?.output === 'string') {
            entry.output += message.body.output;
          } else if (message.event === 'stopped') {
            entry.stops += 1;
            entry.stoppedThreadId = typeof message.body?.threadId === 'number' ? message.body.threadId : null;
          } else if (message.event === 'continued') {
            entry.stoppedThreadId = null;
          }
        },
      };
    },
  });
  const ends = vscode.debug.onDidTerminateDebugSession((session) => {
    observe(session.id).ended = true;
  });
  trackerRegistration = vscode.Disposable.from(trackers, ends);
}

export function sessionOutput(session: vscode.DebugSession): string {
  return observe(session.id).output;
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-vscode-suite-'));

/** A Python program in the work folder, with the lines of its `# STOP:name` markers. */
export interface Program {
  file: string;
  stops: Record<string, number>;
}

export function writeProgram(name: string, source: string): Program {
  const file = path.join(workDir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, source);
  const stops: Record<string, number> = {};
  source.split('\n').forEach((line, index) => {
    const match = /#\s*STOP:(\w+)/.exec(line);
    if (match) stops[match[1]] = index; // zero-based, as vscode.Position wants
  });
  return { file, stops };
}

export function workFolder(...parts: string[]): string {
  const dir = path.join(workDir, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const breakpoints: vscode.Breakpoint[] = [];

/** Sets a breakpoint on every `# STOP:` line of the programs. */
export function breakAtStops(...programs: Program[]): void {
  const added = programs.flatMap((program) =>
    Object.values(program.stops).map(
      (line) => new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(program.file), new vscode.Position(line, 0))),
    ),
  );
  vscode.debug.addBreakpoints(added);
  breakpoints.push(...added);
}

let launches = 0;

/** A debugpy launch configuration for `program` with a unique name. */
export function launchConfig(program: Program, extra: Partial<vscode.DebugConfiguration> = {}): vscode.DebugConfiguration {
  launches += 1;
  return {
    type: 'debugpy',
    request: 'launch',
    name: `dg-suite-${launches}-${path.basename(program.file)}`,
    program: program.file,
    python: PYTHON,
    console: 'internalConsole',
    justMyCode: false,
    cwd: path.dirname(program.file),
    ...extra,
  };
}

const started: vscode.DebugSession[] = [];

/** Starts a debug session and resolves with it once VS Code reports it started. */
export async function startSession(config: vscode.DebugConfiguration): Promise<vscode.DebugSession> {
  startObserving();
  step(`starting ${config.name}`);
  const session = new Promise<vscode.DebugSession>((resolve) => {
    const listener = vscode.debug.onDidStartDebugSession((s) => {
      if (s.name === config.name && !s.parentSession) {
        listener.dispose();
        resolve(s);
      }
    });
  });
  assert.equal(await vscode.debug.startDebugging(undefined, config), true, `could not start ${config.name}`);
  const result = await session;
  started.push(result);
  return result;
}

/** Waits until the session's DAP stream has reported a stop and returns the thread. */
export async function stoppedThread(session: vscode.DebugSession, afterStops = 0): Promise<number> {
  await waitFor(`a stop in ${session.name}`, () => observe(session.id).stops > afterStops && observe(session.id).stoppedThreadId !== null);
  return observe(session.id).stoppedThreadId as number;
}

export function stopCount(session: vscode.DebugSession): number {
  return observe(session.id).stops;
}

/** Resumes a stopped session and waits for its next stop. */
export async function continueToNextStop(session: vscode.DebugSession): Promise<number> {
  const before = stopCount(session);
  const threadId = await stoppedThread(session);
  step(`continuing ${session.name}`);
  await session.customRequest('continue', { threadId });
  return stoppedThread(session, before);
}

export async function waitForEnd(session: vscode.DebugSession, timeoutMs = 30_000): Promise<void> {
  await waitFor(`${session.name} to end`, () => observe(session.id).ended, timeoutMs);
}

/** Stops what the test started and removes its breakpoints, so tests do not see each other. */
export async function cleanUp(): Promise<void> {
  vscode.debug.removeBreakpoints(breakpoints.splice(0));
  const graph = await api();
  // A restarted session ends and comes back under the same id, so ask the extension too.
  const alive = (session: vscode.DebugSession) =>
    !observe(session.id).ended || graph.sessions().some((x) => x.id === session.id && x.state !== 'ended');
  const parents = new Set(started.map((session) => session.id));
  for (const session of started.splice(0)) {
    if (!alive(session)) continue;
    await vscode.debug.stopDebugging(session).then(undefined, () => undefined);
    await waitFor(`${session.name} to end`, () => !alive(session), 15_000).catch(() => undefined);
  }
  // A subprocess's child session outlives its parent by a moment; a child stopped at a
  // breakpoint keeps VS Code's focus meanwhile, so the next test's focus-based commands (restart)
  // would act on it.
  const children = graph.sessions().filter((x) => x.parentId !== null && parents.has(x.parentId));
  await waitFor('child sessions to end', () => children.every((child) => observe(child.id).ended), 15_000).catch(() => undefined);
}

/** The Deferreds the model holds for a session, by their shown name. */
export async function deferredsByName(sessionId: string): Promise<Map<string, DeferredView>> {
  const graph = (await api()).graph(sessionId);
  const named = new Map<string, DeferredView>();
  for (const view of graph?.deferreds ?? []) if (view.name) named.set(view.name, view);
  return named;
}

/** Waits until the session's model names every one of `names`. */
export async function waitForNames(sessionId: string, names: string[], timeoutMs = 30_000): Promise<Map<string, DeferredView>> {
  let seen: string[] = [];
  try {
    return await waitFor(
      `names ${names.join(', ')} in session ${sessionId}`,
      async () => {
        const named = await deferredsByName(sessionId);
        seen = [...named.keys()];
        return names.every((name) => named.has(name)) ? named : null;
      },
      timeoutMs,
    );
  } catch (error) {
    const summary = (await api()).sessions().find((x) => x.id === sessionId);
    const item = vscode.debug.activeStackItem;
    const focus = item instanceof vscode.DebugStackFrame ? `frame ${item.frameId} of thread ${item.threadId}` : String(item);
    throw new Error(`${(error as Error).message}; names seen: [${seen}]; session: ${JSON.stringify(summary)}; focus: ${focus}`);
  }
}

/** What the panel shows, briefly, for failure messages. */
export async function panelSummary(): Promise<unknown> {
  const state = (await api()).panelState();
  const groups = vscode.window.tabGroups.all.map(
    (g) => `${g.viewColumn}${g.isActive ? '*' : ''}:[${g.tabs.map((t) => t.label + (t.isActive ? '*' : ''))}]`,
  );
  const rows = [...posted.rows.values()].map((d) => `${d.name ?? d.id}:${d.status}`);
  return { ...state, activeSessionId: posted.activeSessionId, header: posted.header, rows, groups };
}
