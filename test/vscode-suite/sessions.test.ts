/**
 * Per-session handling with real debugpy sessions: two programs debugged at once each get their
 * own graph; a subprocess arrives as a child session with its own graph; an `attach` session is
 * not injected into, says so, and can be instrumented at a stop by the command.
 */
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as vscode from 'vscode';
import { step, type TestRegistry } from './runner';
import * as s from './support';

function oneDeferredProgram(variable: string): string {
  return `from twisted.internet import defer\n${variable} = defer.Deferred()\nprint("${variable}")  # STOP:here\n`;
}

const PARENT_PROGRAM = `
import os, subprocess, sys
from twisted.internet import defer
parent_d = defer.Deferred()
subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")], check=True)
print("parent done")  # STOP:parent
`;

const ATTACH_TARGET = `
from twisted.internet import defer
early = defer.Deferred()
print("before")  # STOP:before
late = defer.Deferred()
late.addCallback(str)
print("after")  # STOP:after
`;

/** Creates three Deferreds the first time it runs and one after that. */
const RESTARTED_PROGRAM = `
import os
from twisted.internet import defer
marker = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ran-before")
first_run = not os.path.exists(marker)
open(marker, "w").close()
first_run_only = [defer.Deferred(), defer.Deferred()] if first_run else []
again_d = defer.Deferred()
print("again")  # STOP:here
`;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Whether something listens on a loopback TCP port, read from /proc/net/tcp (Linux) — a probe
 * connection would be taken by `debugpy --wait-for-client` as its one client. Elsewhere it
 * waits a few seconds instead.
 */
async function isListening(port: number): Promise<boolean> {
  try {
    const table = fs.readFileSync('/proc/net/tcp', 'utf8');
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    return table.split('\n').some((line) => {
      const [, local, , state] = line.trim().split(/\s+/);
      return local?.endsWith(`:${hexPort}`) && state === '0A';
    });
  } catch {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    return true;
  }
}

async function summaryOf(sessionId: string) {
  return (await s.api()).sessions().find((x) => x.id === sessionId);
}

export function register(t: TestRegistry): void {
  t.test(
    'two concurrent sessions each get their own graph',
    async () => {
      const graph = await s.api();
      const first = s.writeProgram('concurrent/first.py', oneDeferredProgram('first_d'));
      const second = s.writeProgram('concurrent/second.py', oneDeferredProgram('second_d'));
      s.breakAtStops(first, second);
      const one = await s.startSession(s.launchConfig(first));
      const two = await s.startSession(s.launchConfig(second));
      const namesOne = await s.waitForNames(one.id, ['first_d']);
      const namesTwo = await s.waitForNames(two.id, ['second_d']);
      assert.equal(namesOne.has('second_d'), false, 'the first graph shows the second program');
      assert.equal(namesTwo.has('first_d'), false, 'the second graph shows the first program');
      const ids = graph.sessions().map((x) => x.id);
      assert.ok(ids.includes(one.id) && ids.includes(two.id), `sessions: ${ids}`);
      const pids = [await summaryOf(one.id), await summaryOf(two.id)].map((x) => x?.pid);
      assert.ok(pids[0] && pids[1] && pids[0] !== pids[1], `pids: ${pids}`);
    },
    90_000,
  );

  t.test(
    'a subprocess arrives as a child session with its own graph',
    async () => {
      const graph = await s.api();
      const parent = s.writeProgram('family/parent.py', PARENT_PROGRAM);
      const child = s.writeProgram('family/child.py', oneDeferredProgram('child_d'));
      s.breakAtStops(child);
      const session = await s.startSession(s.launchConfig(parent));
      const childSummary = await s.waitFor('a child session', () => graph.sessions().find((x) => x.parentId === session.id));
      const childNames = await s.waitForNames(childSummary.id, ['child_d']);
      assert.equal(childNames.has('parent_d'), false);
      assert.equal(childSummary.notice, null, `a child of an injected launch needs no notice: ${childSummary.notice}`);
      const parentNames = await s.deferredsByName(session.id);
      assert.equal(parentNames.has('child_d'), false, 'the child Deferred leaked into the parent graph');
      // The picker lists each session once: the parent and its one child, each process once.
      const listed = graph.sessions();
      assert.equal(new Set(listed.map((x) => x.id)).size, listed.length, JSON.stringify(listed));
      assert.equal(listed.filter((x) => x.parentId === session.id).length, 1, JSON.stringify(listed));
      const pids = listed.map((x) => x.pid).filter((pid) => pid !== null);
      assert.equal(new Set(pids).size, pids.length, `a process listed twice: ${JSON.stringify(listed)}`);
    },
    90_000,
  );

  t.test(
    'ended sessions are kept, marked ended, but only the last five',
    async () => {
      const graph = await s.api();
      const program = s.writeProgram('ended/short.py', 'from twisted.internet import defer\nd = defer.succeed(1)\n');
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        const session = await s.startSession(s.launchConfig(program));
        ids.push(session.id);
        await s.waitForEnd(session);
        await s.waitFor(`${session.name} marked ended`, () => graph.sessions().find((x) => x.id === session.id)?.state === 'ended');
      }
      const kept = graph.sessions().filter((x) => ids.includes(x.id));
      assert.deepEqual(
        kept.map((x) => x.id),
        ids.slice(-5),
      );
      assert.ok(kept.every((x) => x.state === 'ended'));
    },
    120_000,
  );

  t.test(
    'restarting a session starts a fresh graph for the new process',
    async () => {
      const program = s.writeProgram('restart/again.py', RESTARTED_PROGRAM);
      s.breakAtStops(program);
      const session = await s.startSession(s.launchConfig(program));
      await s.waitForNames(session.id, ['again_d']);
      const firstPid = (await summaryOf(session.id))?.pid;
      assert.ok(firstPid, 'no pid before the restart');
      const stops = s.stopCount(session);
      await vscode.commands.executeCommand('workbench.action.debug.restart');
      await s.stoppedThread(session, stops);
      const restarted = await s.waitFor('the restarted process to be named', async () => {
        const summary = await summaryOf(session.id);
        const named = await s.deferredsByName(session.id);
        return summary?.pid && summary.pid !== firstPid && named.has('again_d') ? summary : null;
      });
      assert.equal(restarted.notice, null, `notice after restart: ${restarted.notice}`);
      const graph = (await s.api()).graph(session.id)!;
      assert.deepEqual(
        graph.deferreds.map((d) => d.name),
        ['again_d'],
        'Deferreds of the old process are still shown',
      );
    },
    90_000,
  );

  t.test(
    'an attach session is not injected, says so, and can be instrumented at a stop',
    async () => {
      const program = s.writeProgram('attach/target.py', ATTACH_TARGET);
      s.breakAtStops(program);
      const port = await freePort();
      const debuggee: ChildProcess = spawn(
        s.PYTHON,
        ['-m', 'debugpy', '--listen', `127.0.0.1:${port}`, '--wait-for-client', program.file],
        { stdio: 'ignore', env: { ...process.env, PYTHONPATH: '' } },
      );
      try {
        await s.waitFor('debugpy to listen', () => isListening(port));
        const session = await s.startSession({
          type: 'debugpy',
          request: 'attach',
          name: 'dg-suite-attach',
          connect: { host: '127.0.0.1', port },
          justMyCode: false,
        });
        assert.equal(session.configuration.env?.DEFERRED_GRAPH_ENABLE, undefined);
        await s.stoppedThread(session);
        const missing = await s.waitFor('the notice that the runtime is missing', async () => {
          const notice = (await summaryOf(session.id))?.notice ?? '';
          return /not loaded the Deferred Graph runtime/.test(notice) ? notice : null;
        });
        assert.match(missing, /deferred_graph\.install\(\)/);

        step('running the instrument command');
        const instrumented = await vscode.commands.executeCommand<boolean>('deferredGraph.instrumentSession');
        assert.equal(instrumented, true, `the command did not instrument: ${JSON.stringify((await s.api()).sessions())}`);
        await s.waitFor(
          'early to be named',
          async () => (await s.deferredsByName(session.id)).has('early'),
          30_000,
          async () => ({
            sessions: (await s.api()).sessions().map((x) => [x.name, x.state, x.notice?.slice(0, 30)]),
            focus: vscode.debug.activeStackItem?.session.name,
          }),
        );
        assert.match((await summaryOf(session.id))?.notice ?? '', /created before that moment are missing/);
        await s.continueToNextStop(session);
        const after = await s.waitFor('late, created after instrumenting, with its callback', async () => {
          const named = await s.deferredsByName(session.id);
          return named.get('late')?.callbacks.length === 1 ? named : null;
        });
        assert.match(after.get('late')?.callbacks[0].callback?.name ?? '', /\bstr\b/);
      } finally {
        debuggee.kill();
      }
    },
    90_000,
  );
}
