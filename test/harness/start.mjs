#!/usr/bin/env node
/**
 * `npm start`: the newcomer's path. Installs what is missing (node_modules, code-server), builds
 * and packages the extension, and serves VS Code in the browser on loopback with the packaged
 * extension installed, `examples/` open with its ready launch configurations, and the test
 * helper that gives Python debugging (ms-python.debugpy cannot be downloaded here; the helper
 * runs debugpy's own adapter). Prints the URL and runs until Ctrl-C.
 *
 * Options: --port N (default $PORT, else 8080 when free, else any free port),
 * --python PATH (default $DG_TEST_PYTHON, else /usr/bin/python3: Twisted 22.4 + debugpy),
 * --theme light|dark.
 */
import net from 'node:net';
import path from 'node:path';
import { startCodeServer } from './code-server.mjs';
import { CACHE, EXAMPLES, HELPER_EXTENSION, PY_TW22, VSIX } from './paths.mjs';
import { ensureAll, packageVsix } from './setup.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** Whether a loopback port is free to listen on. */
function portFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

const python = option('python', process.env.DG_TEST_PYTHON || PY_TW22);
const wanted = Number(option('port', process.env.PORT || '8080'));

console.log('Installing what is missing (first time: Debian packages, node_modules, code-server; a few minutes)…');
try {
  await ensureAll({ venv: false });
} catch (err) {
  console.error(`\nnpm start cannot set up: ${err.message}`);
  process.exit(1);
}
console.log('Building and packaging the extension…');
await packageVsix();

const cs = await startCodeServer({
  runDir: path.join(CACHE, 'start'),
  folder: EXAMPLES,
  vsix: [VSIX],
  folders: [HELPER_EXTENSION],
  theme: option('theme', 'dark'),
  port: (await portFree(wanted)) ? wanted : undefined,
  env: { DG_TEST_PYTHON: python },
  settings: {
    'deferredGraphTest.python': python,
    'deferredGraph.openOnDebugStart': true,
    'debug.openDebug': 'openOnDebugBreak',
    'debug.internalConsoleOptions': 'openOnSessionStart',
  },
});

console.log(`
  Deferred Graph is running in VS Code (code-server) at

      ${cs.url}

  examples/ is open. Open the Run and Debug view, pick "Notebook: all experiments" (or any
  configuration), set a breakpoint on a "# BREAK" line and press F5; the Deferred Graph panel
  opens with the session (or run "Show Deferred Graph" from the command palette).
  Python: ${python}   log: ${cs.logPath}
  Press Ctrl-C to stop.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log('\nStopping code-server…');
  await cs.stop();
  process.exit(0);
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
setInterval(() => {}, 1 << 30);
