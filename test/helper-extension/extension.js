/**
 * Test-only helper extension (never shipped).
 *
 * 1. Registers the `debugpy` (and legacy `python`) debug types with debugpy's own adapter,
 *    `python -m debugpy.adapter` — the adapter ms-python.debugpy runs — because that extension
 *    cannot be downloaded here. The product's injection then runs against a real debugpy.
 * 2. `deferredGraphTest.runSuite` runs the VS Code API suite inside this real extension host
 *    (code-server rejects --extensionTestsPath) and writes its results where the harness waits.
 * 3. A read-only DAP tracker appends stops, stack tops, step requests and their answers, output
 *    and session ends to a JSON Lines file, so the end-to-end tests know exactly when and where
 *    the real debugger stopped (and what the program printed) instead of guessing from pixels.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vscode = require('vscode');

const DEBUG_TYPES = ['debugpy', 'python'];

/** A setting of ours, else an environment variable, else a default. */
function option(key, envName, fallback) {
  const fromSetting = vscode.workspace.getConfiguration('deferredGraphTest').get(key);
  return fromSetting || process.env[envName] || fallback;
}

function pythonPath() {
  return option('python', 'DG_TEST_PYTHON', '/usr/bin/python3');
}

/** Fills what ms-python.debugpy would: the interpreter and a console we can read. */
const configurationProvider = {
  resolveDebugConfiguration(_folder, config) {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (editor?.document.languageId !== 'python') return config;
      Object.assign(config, { type: 'debugpy', request: 'launch', name: 'Current File', program: editor.document.fileName });
    }
    if (config.request === 'launch') {
      if (!config.python) config.python = pythonPath();
      if (!config.console) config.console = 'internalConsole';
    }
    return config;
  },
};

const adapterFactory = {
  /** As ms-python.debugpy does: an attach with `connect`/`port` (including the child sessions of
   * subprocesses) talks to the adapter already listening there; everything else starts one. */
  createDebugAdapterDescriptor(session) {
    const config = session.configuration;
    if (config.request === 'attach') {
      const port = config.connect?.port ?? config.port;
      const host = config.connect?.host ?? config.host ?? '127.0.0.1';
      if (port !== undefined) return new vscode.DebugAdapterServer(Number(port), host);
    }
    return new vscode.DebugAdapterExecutable(pythonPath(), ['-m', 'debugpy.adapter']);
  },
};

async function runSuite() {
  const suite = option('suitePath', 'DG_TEST_SUITE', '');
  const out = option('resultsPath', 'DG_TEST_RESULTS', '');
  if (!suite || !out) {
    vscode.window.showErrorMessage('deferredGraphTest: set DG_TEST_SUITE and DG_TEST_RESULTS (or the settings).');
    return;
  }
  let report;
  try {
    delete require.cache[require.resolve(suite)];
    report = await require(suite).run();
  } catch (err) {
    report = { passed: 0, failed: 1, results: [{ name: 'suite could not run', ok: false, error: String(err?.stack || err) }] };
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Write then rename, so the harness never reads half a file.
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(report, null, 2));
  fs.renameSync(`${out}.tmp`, out);
}

/** Requests that resume or step the debuggee: logged with their answers, so a test can wait for the one it caused. */
const STEP_COMMANDS = new Set(['continue', 'next', 'stepIn', 'stepOut', 'pause']);

/** One JSON line per DAP message of interest; never throws into the debug session. */
function dapLogger(session) {
  const file = option('dapLog', 'DG_TEST_DAP_LOG', '');
  if (!file) return undefined;
  const write = (entry) => {
    try {
      fs.appendFileSync(
        file,
        `${JSON.stringify({ t: Date.now(), session: session.id, name: session.name, parent: session.parentSession?.id ?? null, ...entry })}\n`,
      );
    } catch {
      /* the log is best effort */
    }
  };
  write({ kind: 'start', config: { type: session.type, request: session.configuration.request, program: session.configuration.program } });
  const evaluations = new Map(); // request seq -> its start, to time each evaluate
  // stackTrace request seq -> its arguments: a stop's top frame is the answer to a request for
  // frame 0, not whatever stack answer comes next (VS Code fetches the rest lazily from frame 1,
  // and that answer can arrive after the next stop).
  const stackRequests = new Map();
  // DG_TEST_DAP_WIRE=1 (bench tracing): one line per message, its name and size.
  const wire =
    process.env.DG_TEST_DAP_WIRE === '1'
      ? (dir, m) =>
          write({
            kind: 'wire',
            dir,
            type: m.type,
            name: m.command ?? m.event,
            seq: m.seq,
            requestSeq: m.request_seq,
            chars: JSON.stringify(m).length,
          })
      : () => undefined;
  return {
    onDidSendMessage(m) {
      wire('in', m);
      if (m.type === 'response' && evaluations.has(m.request_seq)) {
        const started = evaluations.get(m.request_seq);
        evaluations.delete(m.request_seq);
        write({ kind: 'evaluate', started, ms: Date.now() - started, success: m.success, chars: String(m.body?.result ?? '').length });
      }
      if (m.type === 'event' && ['stopped', 'continued', 'terminated', 'exited', 'output'].includes(m.event)) {
        write({ kind: 'event', event: m.event, body: m.body });
      } else if (m.type === 'response' && m.command === 'stackTrace' && m.success) {
        const args = stackRequests.get(m.request_seq) ?? {};
        stackRequests.delete(m.request_seq);
        write({
          kind: 'stack',
          requestSeq: m.request_seq,
          threadId: args.threadId,
          startFrame: args.startFrame ?? 0,
          frames: (m.body.stackFrames || []).slice(0, 3).map((f) => ({ name: f.name, line: f.line, path: f.source?.path })),
        });
      } else if (m.type === 'response' && STEP_COMMANDS.has(m.command)) {
        write({ kind: 'response', command: m.command, requestSeq: m.request_seq, success: m.success });
      }
    },
    onWillReceiveMessage(m) {
      wire('out', m);
      if (m.type === 'request' && m.command === 'evaluate') evaluations.set(m.seq, Date.now());
      if (m.type === 'request' && m.command === 'stackTrace') stackRequests.set(m.seq, m.arguments ?? {});
      if (m.type === 'request' && STEP_COMMANDS.has(m.command))
        write({ kind: 'request', command: m.command, seq: m.seq, threadId: m.arguments?.threadId });
      if (m.type === 'request' && m.command === 'setBreakpoints') {
        write({ kind: 'breakpoints', path: m.arguments?.source?.path, lines: (m.arguments?.breakpoints || []).map((b) => b.line) });
      }
    },
    onExit(code, signal) {
      write({ kind: 'exit', code, signal });
    },
  };
}

function activate(context) {
  context.subscriptions.push(vscode.debug.registerDebugAdapterTrackerFactory('*', { createDebugAdapterTracker: dapLogger }));
  for (const type of DEBUG_TYPES) {
    context.subscriptions.push(
      vscode.debug.registerDebugConfigurationProvider(type, configurationProvider),
      vscode.debug.registerDebugAdapterDescriptorFactory(type, adapterFactory),
    );
  }
  context.subscriptions.push(vscode.commands.registerCommand('deferredGraphTest.runSuite', runSuite));
  // debugpy < 1.8 announces a subprocess with a `debugpyAttach` event instead of the standard
  // startDebugging request; ms-python.debugpy answers it with a child session, and so do we.
  context.subscriptions.push(
    vscode.debug.onDidReceiveDebugSessionCustomEvent((event) => {
      if (event.event !== 'debugpyAttach') return;
      const config = { type: event.session.type, name: `Subprocess ${event.body.subProcessId ?? ''}`.trim(), ...event.body };
      vscode.debug.startDebugging(event.session.workspaceFolder, config, { parentSession: event.session, lifecycleManagedByParent: true });
    }),
  );
}

module.exports = { activate, deactivate() {} };
