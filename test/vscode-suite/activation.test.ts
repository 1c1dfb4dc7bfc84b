/**
 * Activation and the command: the extension stays dormant until the command (or a Python debug
 * launch) needs it, the command is registered, and it opens exactly one panel whose webview
 * loads under its CSP and completes the ready handshake.
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { TestRegistry } from './runner';
import { api, extension, launchConfig, startSession, waitFor, writeProgram } from './support';

function deferredGraphTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('deferredGraph'));
}

export function register(t: TestRegistry, wasActiveAtStart: boolean): void {
  t.test('the extension is not activated at start-up', async () => {
    const events: string[] = extension().packageJSON.activationEvents;
    assert.ok(!events.includes('*') && !events.includes('onStartupFinished'), `activationEvents: ${events}`);
    assert.equal(wasActiveAtStart, false, 'the extension was already active before anything needed it');
  });

  t.test('"Show Deferred Graph" activates the extension and is registered', async () => {
    await vscode.commands.executeCommand('deferredGraph.show');
    assert.equal(extension().isActive, true);
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('deferredGraph.show'), 'deferredGraph.show is not registered');
    assert.ok(commands.includes('deferredGraph.instrumentSession'), 'deferredGraph.instrumentSession is not registered');
  });

  t.test('the panel opens once, its webview says ready and receives init', async () => {
    const graph = await api();
    await vscode.commands.executeCommand('deferredGraph.show');
    await vscode.commands.executeCommand('deferredGraph.show');
    assert.equal(deferredGraphTabs().length, 1, 'the command opened a second panel instead of revealing the first');
    const state = await waitFor('the webview to complete the ready handshake', () => {
      const s = graph.panelState();
      return s.ready && s.messagesSent > 0 ? s : null;
    });
    assert.equal(state.open, true);
    assert.equal(state.visible, true);
  });

  t.test('a hidden panel is re-initialised when shown again', async () => {
    const graph = await api();
    const before = graph.panelState().messagesSent;
    // Opening an editor in the panel's group hides the webview (no retainContextWhenHidden).
    const tab = deferredGraphTabs()[0];
    const doc = await vscode.workspace.openTextDocument(writeProgram('hide-the-panel.txt', 'hide the panel\n').file);
    await vscode.window.showTextDocument(doc, { viewColumn: tab.group.viewColumn });
    await waitFor('the panel to be hidden', () => !graph.panelState().visible && !graph.panelState().ready);
    await vscode.commands.executeCommand('deferredGraph.show');
    await waitFor('a fresh ready + init after reveal', () => {
      const s = graph.panelState();
      return s.visible && s.ready && s.messagesSent > before;
    });
    const scratch = vscode.window.tabGroups.all
      .flatMap((group) => group.tabs)
      .filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === doc.uri.toString());
    await vscode.window.tabGroups.close(scratch, true);
    await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
  });

  t.test('with two editor groups open the panel opens in one of them, never a third of its own', async () => {
    const graph = await api();
    await vscode.window.tabGroups.close(deferredGraphTabs(), true);
    await waitFor('the panel to close', () => !graph.panelState().open);
    const left = await vscode.workspace.openTextDocument(writeProgram('left.txt', 'left\n').file);
    const right = await vscode.workspace.openTextDocument(writeProgram('right.txt', 'right\n').file);
    await vscode.window.showTextDocument(left, { viewColumn: vscode.ViewColumn.One });
    await vscode.window.showTextDocument(right, { viewColumn: vscode.ViewColumn.Two });
    await vscode.commands.executeCommand('workbench.action.focusFirstEditorGroup');
    await vscode.commands.executeCommand('deferredGraph.show');
    const tab = await waitFor('the panel to open', () => deferredGraphTabs()[0]);
    // In one of the two (the last, or the one the user last moved it to), not a new one.
    assert.equal(vscode.window.tabGroups.all.length, 2, 'the panel made a group of its own');
    assert.ok([vscode.ViewColumn.One, vscode.ViewColumn.Two].includes(tab.group.viewColumn), `column ${tab.group.viewColumn}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  t.test('"Deferred Graph: Show as Graph" opens the panel on the graph view', async () => {
    const graph = await api();
    const views: Array<string | null> = [];
    const listening = graph.onDidPostMessage((m) => {
      if (m.type === 'show') views.push(m.view);
    });
    try {
      await vscode.commands.executeCommand('deferredGraph.showAsGraph');
      await waitFor('the panel to be told to show the graph', () => views.includes('graph'));
      assert.equal(graph.panelState().open, true);
    } finally {
      listening.dispose();
    }
  });

  t.test('deferredGraph.openOnDebugStart opens the panel when a Python session starts', async () => {
    const graph = await api();
    await vscode.window.tabGroups.close(deferredGraphTabs(), true);
    await waitFor('the panel to close', () => !graph.panelState().open);
    const config = vscode.workspace.getConfiguration('deferredGraph');
    await config.update('openOnDebugStart', true, vscode.ConfigurationTarget.Global);
    try {
      const program = writeProgram('quick.py', 'print("quick")\n');
      await startSession(launchConfig(program));
      await waitFor('the panel to open by itself', () => graph.panelState().open);
      await waitFor('its one tab', () => deferredGraphTabs().length === 1);
    } finally {
      await config.update('openOnDebugStart', undefined, vscode.ConfigurationTarget.Global);
    }
  });
}
