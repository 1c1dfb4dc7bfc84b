// `npm run test:electron`: the VS Code API suite in a desktop VS Code via @vscode/test-electron.
// It needs to download VS Code (or VSCODE_EXECUTABLE pointing at an installed one) and the
// Python Debugger — here the test helper extension, which registers `debugpy` with debugpy's
// own adapter, is loaded beside the extension under test. Offline, it says so and fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status === 0;

if (!run(['esbuild.mjs']) || !run([path.join('test', 'vscode-suite', 'build.mjs')])) {
  console.error('test:electron: the build failed');
  process.exit(1);
}

const { runTests, downloadAndUnzipVSCode } = await import('@vscode/test-electron');
let vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
if (!vscodeExecutablePath) {
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode(process.env.VSCODE_VERSION || 'stable');
  } catch (error) {
    console.error(
      `test:electron: could not download VS Code (${error?.message ?? error}).\n` +
        'This machine seems to be offline. Set VSCODE_EXECUTABLE to an installed VS Code, or run the ' +
        'same suite in code-server with `npm run test:vscode`.',
    );
    process.exit(1);
  }
}

const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-electron-'));
try {
  await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: [root, path.join(root, 'test', 'helper-extension')],
    extensionTestsPath: path.join(root, 'out', 'vscode-suite', 'electron.js'),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userData}`],
    extensionTestsEnv: { DG_TEST_PYTHON: process.env.DG_TEST_PYTHON || '/usr/bin/python3', DG_TEST_API: '1' },
  });
  console.log('test:electron: the VS Code API suite passed');
} catch (error) {
  console.error(`test:electron: the VS Code API suite failed (${error?.message ?? error})`);
  process.exit(1);
} finally {
  fs.rmSync(userData, { recursive: true, force: true });
}
