/**
 * Starts code-server (a real VS Code workbench with a Node extension host) on loopback for tests
 * and `npm start`: a free port, an empty extensions folder, a fresh user-data folder with the
 * settings a test needs (workspace trust off, telemetry off, a chosen colour theme), readiness by
 * polling /healthz, and a clean shutdown of the whole process group.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installFolder, installVsix } from './extensions.mjs';
import { codeServerEntry, installCodeServer } from './install-code-server.mjs';
import { freePort, waitForHttp } from './proc.mjs';

/** Settings every harnessed workbench gets: nothing that pops up, phones home or asks for trust. */
export const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'git.enabled': false,
  'editor.minimap.enabled': false,
  'files.autoSave': 'off',
  'window.commandCenter': false,
  'chat.commandCenter.enabled': false,
  'debug.openDebug': 'neverOpen',
  'debug.internalConsoleOptions': 'neverOpen',
};

export const THEMES = { light: 'Default Light Modern', dark: 'Default Dark Modern' };

/**
 * @param {object} o
 * @param {string} o.runDir     folder for this instance's user-data, extensions and log
 * @param {string} o.folder     workspace folder to open
 * @param {string[]} [o.vsix]   .vsix files to install
 * @param {string[]} [o.folders] unpacked extension folders to install (the helper)
 * @param {object} [o.settings] extra user settings
 * @param {string} [o.theme]    'light' | 'dark' | a theme label
 * @param {object} [o.env]      extra environment for code-server and so the extension host
 * @param {number} [o.port]     fixed port (default: a free one)
 */
export async function startCodeServer(o) {
  const csDir = await installCodeServer({ quiet: true });
  const userDataDir = path.join(o.runDir, 'user-data');
  const extensionsDir = path.join(o.runDir, 'extensions');
  fs.rmSync(extensionsDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  const installed = [];
  for (const v of o.vsix ?? []) installed.push(await installVsix(v, extensionsDir));
  for (const f of o.folders ?? []) installed.push(installFolder(f, extensionsDir));
  writeSettings(userDataDir, { ...BASE_SETTINGS, 'workbench.colorTheme': THEMES[o.theme] ?? o.theme ?? THEMES.light, ...o.settings });

  const port = o.port ?? (await freePort());
  const logPath = path.join(o.runDir, 'code-server.log');
  const log = fs.openSync(logPath, 'a');
  const child = spawn(
    process.execPath,
    [
      codeServerEntry(csDir),
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--ignore-last-opened',
      '--user-data-dir',
      userDataDir,
      '--extensions-dir',
      extensionsDir,
      o.folder,
    ],
    { env: { ...process.env, ...o.env }, stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const stop = stopper(child, () => exited);
  process.once('exit', () => {
    if (!exited)
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  });

  const base = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${base}/healthz`, { timeoutMs: 60000, alive: () => !exited });
  } catch (err) {
    await stop();
    throw new Error(`${err.message}; log:\n${fs.readFileSync(logPath, 'utf8').slice(-3000)}`);
  }
  return {
    url: `${base}/?folder=${encodeURIComponent(o.folder)}`,
    base,
    port,
    userDataDir,
    extensionsDir,
    logPath,
    installed,
    stop,
    /** Rewrites user settings while running (VS Code watches the file). */
    setSettings: (s) => writeSettings(userDataDir, s),
  };
}

function writeSettings(userDataDir, settings) {
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
}

/** SIGTERM to the group (server, extension hosts, debug adapters), SIGKILL after 5 s. */
function stopper(child, isExited) {
  return async () => {
    if (isExited()) return;
    const signal = (sig) => {
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + 5000;
    while (!isExited() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    signal('SIGKILL');
  };
}
