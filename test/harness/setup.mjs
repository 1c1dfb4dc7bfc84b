/**
 * "Install what is missing" for `npm test` and `npm start` on a fresh clone: the Debian packages
 * (debian.mjs), node_modules, the
 * Twisted 26.4 venv from the machine's local wheelhouse, code-server, and the build/package steps.
 * Each step checks first and does nothing when the thing is already there.
 */

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ensureDebianPackages } from './debian.mjs';
import { installCodeServer } from './install-code-server.mjs';
import { CACHE, PY_TW26, ROOT, VSIX } from './paths.mjs';
import { run } from './proc.mjs';

const WHEELHOUSES = ['/opt/pypi/files', '/opt/pypi-more/files', '/opt/wheels'];
const VENV = path.join(CACHE, 'venv-tw26');
// ruff and mypy: the Python lint, format and type gate (test/python/lint.sh).
const VENV_PACKAGES = ['twisted==26.4.0', 'debugpy==1.8.22', 'hypothesis', 'pytest', 'ruff==0.16.9', 'mypy==2.4.0'];

function say(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

export async function ensureNodeModules() {
  if (fs.existsSync(path.join(ROOT, 'node_modules', '.package-lock.json'))) return;
  say('node_modules missing: npm ci');
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: ROOT });
}

function pythonOk(python, check) {
  try {
    execFileSync(python, ['-c', check], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const VENV_CHECK =
  'import twisted, debugpy, hamcrest, hypothesis, pytest, mypy.version, importlib.metadata as m; ' +
  'assert twisted.__version__ == "26.4.0", twisted.__version__; assert debugpy.__version__ == "1.8.22"; ' +
  'assert mypy.version.__version__ == "2.4.0", mypy.version.__version__; assert m.version("ruff") == "0.16.9"';

/**
 * The base interpreter for the venv: the pyenv 3.11 (the wheels are cp311), else the first
 * python3.11 on PATH that is not Debian's (whose site-packages hold Twisted 22.4), else Debian's
 * (a venv without system site-packages is isolated from them anyway).
 */
function venvBasePython() {
  const candidates = [
    '/root/.pyenv/versions/3.11.7/bin/python',
    ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'python3.11')),
    '/usr/bin/python3',
  ];
  for (const c of candidates) {
    if (fs.existsSync(c) && pythonOk(c, 'import sys, venv; assert sys.version_info[:2] == (3, 11)')) return c;
  }
  throw new Error('no Python 3.11 with venv found (apt-get install -y python3-venv)');
}

/** PyHamcrest has no wheel here; Twisted 26.4's test_defer imports it. Debian's is pure Python. */
function linkHamcrest() {
  const site = execFileSync(PY_TW26, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])']).toString().trim();
  const link = path.join(site, 'hamcrest');
  if (!fs.existsSync(link)) fs.symlinkSync('/usr/lib/python3/dist-packages/hamcrest', link);
}

/** The Twisted 26.4 + debugpy 1.8.22 venv, from local wheels only (no index: it is unreachable). */
export async function ensureVenv() {
  if (fs.existsSync(PY_TW26) && pythonOk(PY_TW26, VENV_CHECK)) return;
  const links = WHEELHOUSES.filter((d) => fs.existsSync(d)).flatMap((d) => ['--find-links', d]);
  const pipInstall = () =>
    run(PY_TW26, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-index', ...links, ...VENV_PACKAGES]);
  // A venv from before a package was added is topped up in place rather than deleted: other
  // checkouts of this machine may be running their suites with it right now.
  if (fs.existsSync(PY_TW26)) {
    say(`adding what ${VENV} lacks`);
    try {
      await pipInstall();
      linkHamcrest();
    } catch {
      // rebuilt below
    }
    if (pythonOk(PY_TW26, VENV_CHECK)) return;
  }
  const base = venvBasePython();
  say(`creating ${VENV} from ${base}`);
  fs.rmSync(VENV, { recursive: true, force: true });
  await run(base, ['-m', 'venv', VENV]);
  await pipInstall();
  linkHamcrest();
  if (!pythonOk(PY_TW26, VENV_CHECK)) throw new Error(`${VENV} is incomplete after install`);
  say('venv ready');
}

export async function ensureCodeServer() {
  return installCodeServer({ quiet: true });
}

/** Production build + `vsce package` → dist/deferred-graph.vsix. */
export async function packageVsix() {
  await run('npm', ['run', '--silent', 'package'], { cwd: ROOT });
  if (!fs.existsSync(VSIX)) throw new Error(`npm run package did not produce ${VSIX}`);
  return VSIX;
}

/** Everything a run needs that may be missing, the slow installs started side by side. */
export async function ensureAll({ venv = true, codeServer = true } = {}) {
  await ensureDebianPackages();
  await ensureNodeModules();
  await Promise.all([venv ? ensureVenv() : null, codeServer ? ensureCodeServer() : null]);
}
