/**
 * Test-only helper extension (never shipped).
 *
 * 1. Registers the `debugpy` (and legacy `python`) debug types with debugpy's own adapter,
 *    `python -m debugpy.adapter` — the adapter ms-python.debugpy runs — because that extension
 *    cannot be downloaded here. The product's injection then runs against a real debugpy.
 * 2. `deferredGraphTest.runSuite` runs the VS Code API suite inside this real extension host
 *    (code-server rejects --extensionTestsPath) and writes its results where the harness waits.
 */
'use strict';
const fs = require('fs');
const path = require('path');
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
      if (!editor || editor.document.languageId !== 'python') return config;
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
  createDebugAdapterDescriptor() {
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
    report = { passed: 0, failed: 1, results: [{ name: 'suite could not run', ok: false, error: String(err && err.stack || err) }] };
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // Write then rename, so the harness never reads half a file.
  fs.writeFileSync(`${out}.tmp`, JSON.stringify(report, null, 2));
  fs.renameSync(`${out}.tmp`, out);
}

function activate(context) {
  for (const type of DEBUG_TYPES) {
    context.subscriptions.push(
      vscode.debug.registerDebugConfigurationProvider(type, configurationProvider),
      vscode.debug.registerDebugAdapterDescriptorFactory(type, adapterFactory),
    );
  }
  context.subscriptions.push(vscode.commands.registerCommand('deferredGraphTest.runSuite', runSuite));
}

module.exports = { activate, deactivate() {} };
