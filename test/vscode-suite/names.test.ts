/**
 * Names at a stop, in a real debugpy session of a small Twisted program (the notebook's
 * Experiment 3): at each breakpoint the exact snapshot names the frame's `a` and `b`, with the
 * state Twisted itself holds, the open panel receives the same rows, and selecting another
 * frame in the call stack renames the Deferreds after that frame's variables.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { note, type TestRegistry } from './runner';
import * as s from './support';

const EXPERIMENT_3 = `
from twisted.internet import defer


def inner(d):
    print("inner", d is not None)  # STOP:inner


def main():
    a = defer.Deferred()
    b = defer.Deferred()
    a.addCallback(lambda result: b)
    a.callback("a-result")
    print("a waits on b")  # STOP:waiting
    b.callback("b-result")
    print("b fired")  # STOP:fired
    inner(a)


main()
`;

const THOUSAND = `
from twisted.internet import defer
ds = [defer.Deferred() for _ in range(1000)]
for i, d in enumerate(ds):
    if i % 2 == 0:
        d.callback(i)
    else:
        d.addCallback(str)
print("built")  # STOP:built
`;

export function register(t: TestRegistry): void {
  // Opening the panel with no editor open puts it in the only group, where the stop's source
  // would cover it; the panel then moves beside the source, and this test relies on that.
  t.test(
    'at each stop a and b are named, with the state Twisted holds, in the model and the panel',
    async () => {
      await s.api(); // from here on, what the panel posts is folded into s.panelView()
      await vscode.commands.executeCommand('deferredGraph.show');
      const program = s.writeProgram('experiment3.py', EXPERIMENT_3);
      s.breakAtStops(program);
      const session = await s.startSession(s.launchConfig(program));
      await s.stoppedThread(session);

      const first = await s.waitForNames(session.id, ['a', 'b']);
      const a = first.get('a')!;
      const b = first.get('b')!;
      assert.equal(a.status, 'waiting');
      assert.equal(a.waitingOn, b.id, 'a should wait on b');
      assert.equal(b.hasResult, false);
      assert.equal(b.callbacks.length, 1, 'b holds the _CONTINUE pair for a');
      assert.equal(b.callbacks[0].continues, a.id);
      const panelRows = await s.waitFor(
        'the panel to show a and b',
        () => {
          const state = s.panelView();
          const names = new Set(state.deferreds.map((d) => d.name));
          return state.activeSessionId === session.id && names.has('a') && names.has('b') ? state : null;
        },
        30_000,
        s.panelSummary,
      );
      assert.equal(panelRows.deferreds.find((d) => d.name === 'a')?.status, 'waiting');

      await s.continueToNextStop(session);
      const second = await s.waitFor('a to have fired with b-result', async () => {
        const named = await s.deferredsByName(session.id);
        return named.get('a')?.status === 'fired' ? named : null;
      });
      const aResult = second.get('a')!.result;
      assert.ok(aResult?.kind === 'value' && aResult.repr === "'b-result'", `a.result: ${JSON.stringify(aResult)}`);
      const bResult = second.get('b')!.result;
      assert.ok(bResult?.kind === 'value' && bResult.repr === 'None', `b.result after a consumed it: ${JSON.stringify(bResult)}`);
      assert.equal(second.get('a')!.callbacks.length, 0);
      await s.waitFor(
        'the panel to show a fired',
        () => s.panelView().deferreds.find((d) => d.name === 'a')?.status === 'fired',
        30_000,
        s.panelSummary,
      );
    },
    90_000,
  );

  t.test(
    'a stop reveals what the frame names; "Show in Deferred Graph" with the Watch view’s argument (VS Code 1.103+) selects it',
    async () => {
      const graph = await s.api();
      const program = s.writeProgram('experiment3_watch.py', EXPERIMENT_3);
      // The source open first, so that the panel opens beside it and the stop does not cover it.
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(program.file), { viewColumn: vscode.ViewColumn.One });
      await vscode.commands.executeCommand('deferredGraph.show');
      await s.waitFor('the panel to be ready', () => graph.panelState().ready);
      const revealed: number[][] = [];
      const shown: number[][] = [];
      const listening = graph.onDidPostMessage((m) => {
        if (m.type === 'show') (m.select ? shown : revealed).push(m.reveal);
      });
      try {
        s.breakAtStops({ file: program.file, stops: { waiting: program.stops.waiting } });
        const session = await s.startSession(s.launchConfig(program));
        await s.stoppedThread(session);
        const named = await s.waitForNames(session.id, ['a', 'b']);
        const b = named.get('b')!;
        // The stop's snapshot names a and b: the panel brings both into view, selecting neither.
        const atStop = await s.waitFor(
          'the stop to reveal a and b',
          () => revealed.find((ids) => ids.includes(named.get('a')!.id) && ids.includes(b.id)),
          30_000,
          () => ({ revealed, panel: graph.panelState() }),
        );
        assert.equal(atStop.length, 2);
        await s.waitFor('VS Code to focus the stopped frame', () => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame);
        // What the Watch view's context menu passes for a watch expression `b`: its Expression
        // serialised (debugModel.ts `toJSON`), the expression as the variable's evaluateName.
        const watched = { sessionId: session.id, variable: { name: 'b', value: '<Deferred>', variablesReference: 0, evaluateName: 'b' } };
        await vscode.commands.executeCommand('deferredGraph.showVariable', watched);
        const reveal = await s.waitFor('the panel to be told to select b', () => shown.at(-1));
        assert.deepEqual(reveal, [b.id]);
      } finally {
        listening.dispose();
      }
    },
    90_000,
  );

  t.test(
    'selecting the caller frame names the Deferreds after its variables',
    async () => {
      const program = s.writeProgram('experiment3_frames.py', EXPERIMENT_3);
      s.breakAtStops({ file: program.file, stops: { inner: program.stops.inner } });
      const session = await s.startSession(s.launchConfig(program));
      await s.stoppedThread(session);
      const inInner = await s.waitForNames(session.id, ['d']);
      const id = inInner.get('d')!.id;
      assert.equal(inInner.has('a'), false, 'the callee frame has no variable a');

      // The Call Stack view's "Navigate Down" selects the caller; the extension follows it.
      await s.waitFor('VS Code to focus the stopped frame', () => vscode.debug.activeStackItem instanceof vscode.DebugStackFrame);
      await vscode.commands.executeCommand('workbench.action.debug.callStackDown');
      const inMain = await s.waitForNames(session.id, ['a', 'b']);
      assert.equal(inMain.get('a')!.id, id, 'the same Deferred is a in the caller');
      assert.equal(inMain.has('d'), false);
    },
    90_000,
  );

  t.test(
    'a stop with 1,000 Deferreds names every one (and how long the exact tree took)',
    async () => {
      const program = s.writeProgram('thousand.py', THOUSAND);
      s.breakAtStops(program);
      const session = await s.startSession(s.launchConfig(program));
      await s.stoppedThread(session);
      const stoppedAt = Date.now();
      // ds[999] is also the loop variable d, and a plain variable name wins over a list item.
      const named = await s.waitFor(
        'ds[0] .. ds[998] and d to be named',
        async () => {
          const byName = await s.deferredsByName(session.id);
          return byName.size === 1000 && byName.has('ds[0]') && byName.has('ds[998]') && byName.has('d') ? byName : null;
        },
        30_000,
        async () => {
          const graph = (await s.api()).graph(session.id);
          const names = graph?.deferreds.filter((d) => d.name).map((d) => d.name) ?? [];
          return {
            count: graph?.deferreds.length,
            named: names.length,
            some: names.slice(0, 5),
            header: graph?.header,
            session: (await s.api()).sessions().find((x) => x.id === session.id),
          };
        },
      );
      note(`exact tree of 1,000 Deferreds ${Date.now() - stoppedAt} ms after the suite saw the stop`);
      note(`extension timings: ${JSON.stringify((await s.api()).lastSnapshot(session.id))}`);
      assert.equal(named.get('ds[500]')?.hasResult, true);
      assert.equal(named.get('ds[501]')?.hasResult, false);
      assert.equal(named.get('ds[501]')?.callbacks.length, 1);
      const graph = (await s.api()).graph(session.id)!;
      assert.ok(graph.deferreds.length >= 1000, `only ${graph.deferreds.length} Deferreds`);
    },
    90_000,
  );
}
