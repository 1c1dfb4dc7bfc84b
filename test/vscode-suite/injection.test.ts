/**
 * Injection through the real debug configuration pipeline: a debugpy launch gets the runtime's
 * bootstrap folder in front of the user's PYTHONPATH (whose own sitecustomize still runs), the
 * runtime really installs in the debuggee, the setting turns it all off, and a `noDebug` run —
 * where no DAP events can flow — delivers its Deferreds over the token-checked loopback socket,
 * whose server closes with the session.
 */
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { TestRegistry } from './runner';
import * as s from './support';

const REPORT_PROGRAM = `
import json, os, sys
from twisted.internet import defer
report = {"path": sys.path, "enable": os.environ.get("DEFERRED_GRAPH_ENABLE"),
          "userSitecustomize": os.environ.get("DG_USER_SITECUSTOMIZE_RAN")}
try:
    import deferred_graph
    report["installed"] = deferred_graph.is_installed()
except ImportError:
    report["installed"] = None
print("DG-REPORT " + json.dumps(report))
`;

const SOCKET_PROGRAM = `
import time
from twisted.internet import defer
import deferred_graph
d = defer.Deferred()
deferred_graph.label(d, "over-the-socket")
print("DG-READY", flush=True)
time.sleep(4)
`;

interface Report {
  path: string[];
  enable: string | null;
  userSitecustomize: string | null;
  installed: boolean | null;
}

async function runForReport(config: vscode.DebugConfiguration): Promise<{ session: vscode.DebugSession; report: Report }> {
  const session = await s.startSession(config);
  await s.waitForEnd(session);
  const line = await s.waitFor('the program report', () => /DG-REPORT (.*)/.exec(s.sessionOutput(session)));
  return { session, report: JSON.parse(line[1]) as Report };
}

/** A folder on the user's PYTHONPATH whose sitecustomize leaves a trace in the environment. */
function userSiteFolder(): string {
  const dir = s.workFolder('user-site');
  s.writeProgram(path.join('user-site', 'sitecustomize.py'), 'import os\nos.environ["DG_USER_SITECUSTOMIZE_RAN"] = "1"\n');
  return dir;
}

async function setInject(value: boolean | undefined): Promise<void> {
  await vscode.workspace.getConfiguration('deferredGraph').update('inject', value, vscode.ConfigurationTarget.Global);
}

/** Connects, sends one line, and reports whether the server closed the connection on us. */
function closedAfterSending(address: string, line: string): Promise<boolean> {
  const port = Number(address.split(':').pop());
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${line}\n`));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 3000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** True once nothing listens on `address` any more (ECONNREFUSED), false while something does. */
function connectionRefused(address: string): Promise<boolean> {
  const port = Number(address.split(':').pop());
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

/** A known Deferred (flushed) dropped on the stop line: its death runs the runtime's finaliser. */
const STEP_PROGRAM = `
from twisted.internet import defer
import deferred_graph
d = defer.Deferred()
d.addCallback(lambda r: r)
deferred_graph.flush()
d.callback(1)
del d  # STOP:drop
print("after the drop")  # STOP:after
`;

export function register(t: TestRegistry): void {
  t.test('stepping into a line where a Deferred dies never enters the runtime', async () => {
    const program = s.writeProgram('step_drop.py', STEP_PROGRAM);
    s.breakAtStops({ file: program.file, stops: { drop: program.stops.drop } });
    const session = await s.startSession(s.launchConfig(program));
    const threadId = await s.stoppedThread(session);
    const rules = session.configuration.rules as { path: string; include: boolean }[];
    assert.ok(
      rules.some((rule) => /deferred_graph/.test(rule.path) && rule.include === false),
      JSON.stringify(rules),
    );
    const before = s.stopCount(session);
    await session.customRequest('stepIn', { threadId });
    await s.stoppedThread(session, before);
    const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
      stackFrames: { line: number; source?: { path?: string } }[];
    };
    const top = trace.stackFrames[0];
    // code-server names remote files by URI (vscode-remote://host/path).
    assert.ok(top.source?.path?.endsWith(program.file), `stepped into ${top.source?.path}:${top.line}`);
    assert.equal(top.line, program.stops.after + 1);
    await session.customRequest('continue', { threadId });
    await s.waitForEnd(session);
  });

  t.test('a debugpy launch gets the runtime in front of PYTHONPATH; the user sitecustomize still runs', async () => {
    const userDir = userSiteFolder();
    const program = s.writeProgram('report_env.py', REPORT_PROGRAM);
    const { session, report } = await runForReport(s.launchConfig(program, { env: { PYTHONPATH: userDir } }));
    const env = session.configuration.env as Record<string, string>;
    const entries = env.PYTHONPATH.split(path.delimiter);
    assert.match(entries[0], /python[\\/]bootstrap$/);
    assert.match(entries[1], /python$/);
    assert.equal(entries[2], userDir, 'the user PYTHONPATH must follow the runtime folders');
    assert.equal(env.DEFERRED_GRAPH_ENABLE, '1');
    assert.match(env.DEFERRED_GRAPH_TOKEN, /^[0-9a-f]{64}$/);
    assert.match(env.DEFERRED_GRAPH_SOCKET, /^tcp:127\.0\.0\.1:\d+$/);
    assert.equal(env.DEFERRED_GRAPH_FLUSH_MS, '50');
    assert.ok(report.path.indexOf(entries[0]) < report.path.indexOf(userDir), `sys.path: ${report.path}`);
    assert.equal(report.enable, '1');
    assert.equal(report.userSitecustomize, '1', 'the user sitecustomize did not run');
    assert.equal(report.installed, true, 'the runtime did not install in the debuggee');
  });

  t.test('the legacy "python" debug type is injected too', async () => {
    const program = s.writeProgram('report_env.py', REPORT_PROGRAM);
    const { session, report } = await runForReport({ ...s.launchConfig(program), type: 'python' });
    assert.equal(session.type, 'python');
    assert.equal((session.configuration.env as Record<string, string>).DEFERRED_GRAPH_ENABLE, '1');
    assert.equal(report.installed, true);
  });

  t.test('with deferredGraph.inject off the launch is untouched and the view says why', async () => {
    const userDir = userSiteFolder();
    const program = s.writeProgram('report_env.py', REPORT_PROGRAM);
    await setInject(false);
    try {
      const { session, report } = await runForReport(s.launchConfig(program, { env: { PYTHONPATH: userDir } }));
      const env = session.configuration.env as Record<string, string>;
      assert.equal(env.PYTHONPATH, userDir);
      assert.equal(env.DEFERRED_GRAPH_ENABLE, undefined);
      assert.equal(env.DEFERRED_GRAPH_TOKEN, undefined);
      assert.equal(report.installed, null, 'deferred_graph was importable although injection is off');
      assert.equal(report.userSitecustomize, '1');
      const summary = (await s.api()).sessions().find((x) => x.id === session.id);
      assert.match(summary?.notice ?? '', /deferredGraph\.inject/);
    } finally {
      await setInject(undefined);
    }
  });

  t.test('a noDebug run reports over the loopback socket, which refuses a wrong token and closes with the session', async () => {
    const graph = await s.api();
    const program = s.writeProgram('over_socket.py', SOCKET_PROGRAM);
    const session = await s.startSession(s.launchConfig(program, { noDebug: true }));
    const address = (session.configuration.env as Record<string, string>).DEFERRED_GRAPH_SOCKET;
    await s.waitFor('the program to start', () => s.sessionOutput(session).includes('DG-READY'));
    const view = await s.waitFor('the labelled Deferred to arrive over the socket', () =>
      graph.graph(session.id)?.deferreds.find((d) => d.label === 'over-the-socket'),
    );
    assert.equal(view.status, 'pending');
    const wrong = JSON.stringify({ kind: 'auth', token: '0'.repeat(64), pid: 1 });
    assert.equal(await closedAfterSending(address, wrong), true, 'a wrong token was not refused');
    await s.waitForEnd(session);
    // Polled on this session's own address: a count of open servers also drops when another
    // test's unclaimed server times out, which once let this pass before this one had closed.
    await s.waitFor('the socket server to close with its session', () => connectionRefused(address), 10_000);
  });
}
