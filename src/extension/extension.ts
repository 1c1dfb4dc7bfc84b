/**
 * Entry point of the extension host bundle (dist/extension.js).
 *
 * Activated only when a Python debug configuration is resolved, by the "Show Deferred Graph"
 * command, or to restore the panel after a reload — never at start-up. `activate` returns a
 * small read-only API that the VS Code API suite (test/vscode-suite) asserts on, and only when
 * the suite's harness sets TEST_API_ENV: other extensions never see it, so it is no contract.
 */
import * as vscode from 'vscode';
import type { DeferredView, GraphHeader, SessionSummary, ToWebviewMessage } from '../protocol/protocol';
import { registerDapRoute } from './dapRoute';
import { InjectionProvider, runtimePaths } from './injection';
import { instrumentPausedSession } from './instrument';
import { LastSessionStore } from './lastSession';
import { INSTRUMENT_COMMAND } from './notices';
import { GraphPanel, type PanelState, VIEW_TYPE } from './panel';
import { deferredIdOfVariable, type VariableContext } from './panelCommands';
import { SessionManager } from './sessions';
import { readSettings } from './settings';
import { RuntimeSocketServer } from './socketServer';
import type { SnapshotTiming } from './stopSnapshots';

export const SHOW_COMMAND = 'deferredGraph.show';
export const SHOW_AS_GRAPH_COMMAND = 'deferredGraph.showAsGraph';
/** "Show in Deferred Graph" on a variable (Variables and Watch views only, never the palette). */
export const SHOW_VARIABLE_COMMAND = 'deferredGraph.showVariable';

/** Set to "1" in the extension host's environment (by the test harnesses) to get the test API. */
export const TEST_API_ENV = 'DG_TEST_API';

/** What `activate` returns under TEST_API_ENV: read-only views of the extension's state. */
export interface DeferredGraphApi {
  sessions(): SessionSummary[];
  activeSessionId(): string | null;
  graph(sessionId: string): { header: GraphHeader; deferreds: DeferredView[] } | null;
  panelState(): PanelState;
  /** Every message the panel's webview accepted, in order: the suite folds them into rows. */
  onDidPostMessage: vscode.Event<ToWebviewMessage>;
  openSocketServers(): number;
  /** Timings of a session's last snapshot at a stop. */
  lastSnapshot(sessionId: string): SnapshotTiming | null;
}

export function activate(context: vscode.ExtensionContext): DeferredGraphApi | undefined {
  const paths = runtimePaths(context.extensionPath);
  const log = vscode.window.createOutputChannel('Deferred Graph', { log: true });
  const sessions = new SessionManager(paths.packageDir, log);
  const lastSession = new LastSessionStore((context.storageUri ?? context.globalStorageUri).fsPath, sessions, log);
  const panel = new GraphPanel(context.extensionUri, sessions, lastSession, context.workspaceState);

  const endpoints = async () => {
    const server = await RuntimeSocketServer.start();
    sessions.adoptServer(server);
    return { address: server.address, token: server.token };
  };

  context.subscriptions.push(
    log,
    sessions,
    lastSession,
    panel,
    vscode.debug.registerDebugConfigurationProvider('*', new InjectionProvider(paths, endpoints)),
    ...registerDapRoute(vscode.debug, sessions),
    vscode.commands.registerCommand(SHOW_COMMAND, () => panel.show()),
    vscode.commands.registerCommand(SHOW_AS_GRAPH_COMMAND, () => panel.showInWebview('graph', [], false)),
    vscode.commands.registerCommand(SHOW_VARIABLE_COMMAND, async (variable?: VariableContext) => {
      const found = await deferredIdOfVariable(variable);
      if (!found) return;
      if (sessions.get(found.session.id)) sessions.setActive(found.session.id);
      panel.showInWebview(null, [found.id], true);
    }),
    vscode.commands.registerCommand(INSTRUMENT_COMMAND, () => instrumentPausedSession(sessions, paths.packageDir)),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      async deserializeWebviewPanel(webviewPanel: vscode.WebviewPanel) {
        panel.revive(webviewPanel);
      },
    }),
    sessions.onDidStartSession((record) => {
      if (readSettings(record.session.workspaceFolder?.uri).openOnDebugStart) panel.show();
    }),
  );

  if (process.env[TEST_API_ENV] !== '1') return undefined;
  return {
    sessions: () => sessions.summaries(),
    activeSessionId: () => sessions.activeSessionId,
    graph: (sessionId) => {
      const record = sessions.get(sessionId);
      return record ? { header: record.model.header(), deferreds: record.model.views() } : null;
    },
    panelState: () => panel.state(),
    onDidPostMessage: panel.onDidPostMessage,
    openSocketServers: () => sessions.openServerCount(),
    lastSnapshot: (sessionId) => sessions.get(sessionId)?.stops.lastSnapshot ?? null,
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
