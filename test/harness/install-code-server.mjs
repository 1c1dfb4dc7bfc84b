#!/usr/bin/env node
/**
 * Installs the pinned code-server (a real VS Code workbench with a Node extension host) into a
 * cache folder, by the offline recipe verified in FIELD-NOTES §5.
 *
 * Why a recipe and not `npm install code-server`: its postinstall downloads ripgrep and other
 * binaries from the internet, which this machine cannot reach. We install with scripts off, link
 * Debian's ripgrep where the downloader would have put its own, and rebuild the native modules
 * ourselves against the local Node headers.
 *
 * Idempotent: a stamp file records a finished install; a half-finished one (no stamp) is
 * discarded and redone. The install happens in a temporary sibling folder renamed into place at
 * the end, so two concurrent callers never see a partial tree.
 *
 * Usage: node test/harness/install-code-server.mjs   (prints the install folder on stdout last)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const STAMP = '.deferred-graph-installed';

/** The cache folder code-server lives in (outside the repo, shared by every checkout). */
export function codeServerDir() {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'deferred-graph', `code-server-${CODE_SERVER_VERSION}`);
}

/** The entry point started by the harness. */
export function codeServerEntry(dir = codeServerDir()) {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

export function isCodeServerInstalled(dir = codeServerDir()) {
  try {
    return fs.readFileSync(path.join(dir, STAMP), 'utf8').trim() === CODE_SERVER_VERSION && fs.existsSync(codeServerEntry(dir));
  } catch {
    return false;
  }
}

/**
 * The environment for the nested npm runs: npm script variables of a parent `npm test` (for
 * example npm_config_omit or npm_package_*) would otherwise leak into these installs.
 */
function cleanNpmEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_(config|package|lifecycle)_/i.test(k)) env[k] = v;
  }
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

/** Runs one step, streaming a prefixed tail of its output so a long install shows progress. */
function run(label, cmd, args, cwd, env = cleanNpmEnv()) {
  const started = Date.now();
  log(`→ ${label}`);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const tail = [];
    const collect = (chunk) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const ticker = setInterval(() => log(`  … ${label} (${Math.round((Date.now() - started) / 1000)} s)`), 30000);
    child.on('error', (err) => {
      clearInterval(ticker);
      reject(err);
    });
    child.on('close', (code) => {
      clearInterval(ticker);
      if (code === 0) {
        log(`✓ ${label} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        resolve();
      } else {
        reject(new Error(`${label} failed (exit ${code}) in ${cwd}:\n${tail.join('\n')}`));
      }
    });
  });
}

function log(msg) {
  process.stderr.write(`[code-server] ${msg}\n`);
}

/** Installs code-server unless a finished install is already there; returns its folder. */
export async function installCodeServer({ quiet = false } = {}) {
  const dir = codeServerDir();
  if (isCodeServerInstalled(dir)) {
    if (!quiet) log(`already installed in ${dir}`);
    return dir;
  }
  if (!fs.existsSync('/usr/bin/rg')) {
    throw new Error('ripgrep is missing: apt-get install -y ripgrep (code-server links /usr/bin/rg instead of downloading one)');
  }
  const work = `${dir}.partial-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(path.join(work, 'package.json'), JSON.stringify({ private: true, name: 'dg-code-server-cache' }, null, 2));
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (several minutes)`);
  const pkg = path.join(work, 'node_modules', 'code-server');
  const vscodeDir = path.join(pkg, 'lib', 'vscode');

  await run(
    `npm install code-server@${CODE_SERVER_VERSION} --ignore-scripts`,
    'npm',
    ['install', '--ignore-scripts', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
    work,
  );
  await run('lib/vscode: npm install --omit=dev --ignore-scripts', 'npm', ['install', '--omit=dev', '--ignore-scripts'], vscodeDir);

  const rgBin = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
  fs.mkdirSync(rgBin, { recursive: true });
  fs.rmSync(path.join(rgBin, 'rg'), { force: true });
  fs.symlinkSync('/usr/bin/rg', path.join(rgBin, 'rg'));
  log('✓ linked @vscode/ripgrep/bin/rg → /usr/bin/rg');

  await run('lib/vscode: npm rebuild (native modules)', 'npm', ['rebuild'], vscodeDir, cleanNpmEnv({ npm_config_yes: 'true' }));
  const asar = path.join(vscodeDir, 'node_modules.asar');
  fs.rmSync(asar, { force: true });
  fs.symlinkSync('node_modules', asar);
  log('✓ linked node_modules.asar → node_modules');

  await run('lib/vscode/extensions: npm install --omit=dev', 'npm', ['install', '--omit=dev'], path.join(vscodeDir, 'extensions'));
  await run('npm rebuild argon2', 'npm', ['rebuild', 'argon2'], work);

  fs.writeFileSync(path.join(work, STAMP), `${CODE_SERVER_VERSION}\n`);
  if (isCodeServerInstalled(dir)) {
    // Someone else finished first; keep theirs.
    fs.rmSync(work, { recursive: true, force: true });
  } else {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(work, dir);
  }
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installCodeServer().then(
    (dir) => {
      process.stdout.write(`${dir}\n`);
    },
    (err) => {
      log(err.stack || String(err));
      process.exit(1);
    },
  );
}
