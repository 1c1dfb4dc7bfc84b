/**
 * The Debian packages `npm start` and `npm test` need, and installing the missing ones, so that
 * the README's two commands are all the set-up on a bare Debian machine with Node 20.
 *
 * Detection asks dpkg itself (`dpkg-query`), not `which`: a binary on PATH says nothing about
 * Python modules (python3-twisted) or headers (libkrb5-dev). As root, one `apt-get install` of the
 * missing ones, preceded by `apt-get update` only when apt does not know one of them (a fresh
 * image has empty package lists; a warm one need not wait for an update). Not root: the one
 * command to run, and a clear stop.
 */
import { spawnSync } from 'node:child_process';
import { run } from './proc.mjs';

/** Each package with why it is here; the single list both commands (and CI) install from. */
export const DEBIAN_PACKAGES = {
  python3: 'the Twisted 22.4 interpreter (/usr/bin/python3)',
  'python3-twisted': 'Twisted 22.4, the first Twisted leg',
  'python3-debugpy': 'debugpy for /usr/bin/python3',
  'python3-hamcrest': "Twisted's own test_defer imports it",
  'python3-pytest': 'the Python suites',
  'python3-hypothesis': 'property tests',
  'python3-scrapy': 'the real-world Scrapy crawl test and the Scrapy CPU benchmark (Twisted 22.4)',
  'python3-treq': 'the real-world treq HTTP client test (Twisted 22.4)',
  'python3-autobahn': 'the real-world WebSocket test (Twisted 22.4)',
  'python3-venv': 'the Twisted 26.4 venv built from the local wheelhouse',
  'python3-pip': 'installs the wheelhouse into the venv',
  chromium: 'drives the workbench in the end-to-end tests',
  ripgrep: 'code-server links /usr/bin/rg instead of downloading one',
  unzip: 'reads the packaged .vsix',
  git: 'code-server and npm need it',
  'ca-certificates': 'npm over https',
  'build-essential': "builds code-server's native modules",
  'pkg-config': "code-server's native modules",
  'libkrb5-dev': "code-server's native modules",
  'libxkbfile-dev': "code-server's native modules",
  'libsecret-1-dev': "code-server's native modules",
  'fonts-dejavu-core': 'a font for the screenshots',
};

const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** The packages of `names` dpkg does not have installed ("ii"), in the order given. */
export function missingPackages(names) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} format, not a template
  const res = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\n', ...names], { encoding: 'utf8' });
  if (res.error) throw new Error(`cannot ask dpkg which packages are installed (${res.error.message}); is this Debian?`);
  const installed = new Set(
    res.stdout
      .split('\n')
      .filter((l) => / ii/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

/** The packages of `names` apt has no candidate for (its lists predate them, or are empty). */
export function unknownToApt(names) {
  // One `apt-cache policy` for all: a section "name:" per package apt knows, none for the others.
  const res = spawnSync('apt-cache', ['policy', ...names], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const known = new Set();
  let current = null;
  for (const line of (res.stdout ?? '').split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) current = head[1].replace(/:[\w-]+$/, '');
    else if (current && /^\s+Candidate: (?!\(none\))/.test(line)) known.add(current);
  }
  return names.filter((n) => !known.has(n));
}

/**
 * The commands that install `missing`: [] when nothing is missing; otherwise an optional
 * `apt-get update` (when apt does not know a package) and one `apt-get install`.
 */
export function installCommands(missing, { unknown = [] } = {}) {
  if (!missing.length) return [];
  const install = ['apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing]];
  return unknown.length ? [['apt-get', ['update', '-q']], install] : [install];
}

/** The one line a user who is not root runs. */
export function rootCommandLine(missing) {
  return `sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}'`;
}

/**
 * Installs whatever of `packages` is missing; does nothing when all are there. Not root: throws an
 * error whose message is the command to run.
 */
export async function ensureDebianPackages(
  packages = Object.keys(DEBIAN_PACKAGES),
  { log = (m) => process.stderr.write(`[setup] ${m}\n`) } = {},
) {
  const missing = missingPackages(packages);
  if (!missing.length) return [];
  if (process.getuid?.() !== 0) {
    throw new Error(
      `these Debian packages are missing: ${missing.join(' ')}\n` +
        `Install them as root, then run this command again:\n\n    ${rootCommandLine(missing)}\n`,
    );
  }
  log(`installing ${missing.length} missing Debian package(s): ${missing.join(' ')}`);
  const runAll = async (commands) => {
    for (const [cmd, args] of commands) {
      log(`→ ${cmd} ${args.join(' ')}`);
      await run(cmd, args, { env: APT_ENV });
    }
  };
  const unknown = unknownToApt(missing);
  try {
    await runAll(installCommands(missing, { unknown }));
  } catch (err) {
    // Lists that know every package can still be stale (a 404 on download): update once, retry.
    if (unknown.length) throw err;
    log(`apt-get install failed (${err.message.split('\n')[0]}); updating the package lists and retrying`);
    await runAll(installCommands(missing, { unknown: missing }));
  }
  const still = missingPackages(missing);
  if (still.length) throw new Error(`apt-get finished but these packages are still not installed: ${still.join(' ')}`);
  log('✓ Debian packages installed');
  return missing;
}
