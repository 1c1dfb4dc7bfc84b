// The Debian set-up of `npm start` / `npm test` (test/harness/debian.mjs) against the machine's
// real dpkg and apt: what it detects as missing, the apt-get command it runs (simulated with
// `apt-get -s`, which changes nothing), and the message a user who is not root gets.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs harness module without type declarations
import * as debian from '../harness/debian.mjs';

const HARNESS = resolve(__dirname, '../harness');
const NO_SUCH = 'deferred-graph-no-such-package';

/** A package apt can install that dpkg does not have: the real case `npm start` meets. */
function installablePackageNotInstalled(): string {
  const names = spawnSync('apt-cache', ['pkgnames', 'lib'], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .stdout.split('\n')
    .filter(Boolean)
    .sort();
  for (let i = 0; i < names.length; i += 200) {
    const missing: string[] = debian.missingPackages(names.slice(i, i + 200));
    const unknown = new Set(debian.unknownToApt(missing));
    const installable = missing.find((n) => !unknown.has(n));
    if (installable) return installable;
  }
  throw new Error('apt knows no installable package that is not installed (empty package lists?)');
}

describe('Debian packages for npm start / npm test', () => {
  it('asks dpkg: an installed package is not missing, an unknown one is', () => {
    expect(debian.missingPackages(['dpkg', NO_SUCH, 'coreutils'])).toEqual([NO_SUCH]);
  });

  it('every package of the list is one apt knows, and the list is what the machine has after set-up', () => {
    const all = Object.keys(debian.DEBIAN_PACKAGES);
    expect(debian.unknownToApt(all)).toEqual([]);
    expect(debian.missingPackages(all)).toEqual([]);
  });

  it('installs only the missing ones with one apt-get install, updating first only when apt does not know one', () => {
    expect(debian.installCommands([])).toEqual([]);
    expect(debian.installCommands(['a', 'b'])).toEqual([['apt-get', ['install', '-y', '-q', '--no-install-recommends', 'a', 'b']]]);
    const withUpdate = debian.installCommands(['a'], { unknown: ['a'] });
    expect(withUpdate.map(([cmd, args]: [string, string[]]) => `${cmd} ${args[0]}`)).toEqual(['apt-get update', 'apt-get install']);
  });

  it('the command it would run really installs the missing package (apt-get -s)', () => {
    const pkg = installablePackageNotInstalled();
    const missing = debian.missingPackages([pkg, 'dpkg']);
    expect(missing).toEqual([pkg]);
    const commands = debian.installCommands(missing, { unknown: debian.unknownToApt(missing) });
    expect(commands).toHaveLength(1);
    const [cmd, args] = commands[0];
    const sim = spawnSync(cmd, ['-s', ...args], { encoding: 'utf8' });
    expect(sim.status, sim.stderr).toBe(0);
    expect(sim.stdout).toMatch(new RegExp(`^Inst ${pkg.replace(/[.+]/g, '\\$&')} `, 'm'));
  });

  it('not root: stops with the single command to run, and installs nothing', () => {
    // `nobody` may not be able to read the checkout (a clone into `mktemp -d` is 0700), so the
    // harness runs from a copy it can read: debian.mjs and the one module it imports.
    const dir = mkdtempSync(join(tmpdir(), 'dg-debian-'));
    chmodSync(dir, 0o755);
    for (const name of ['debian.mjs', 'proc.mjs']) copyFileSync(join(HARNESS, name), join(dir, name));
    const script =
      `import(${JSON.stringify(join(dir, 'debian.mjs'))}).then((m) => m.ensureDebianPackages(['dpkg', '${NO_SUCH}']))` +
      '.then(() => process.exit(0), (e) => { process.stdout.write(e.message); process.exit(3); });';
    const asUser =
      process.getuid?.() === 0
        ? spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', script], { encoding: 'utf8' })
        : spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    expect(asUser.status, asUser.stderr).toBe(3);
    expect(asUser.stdout).toContain(`these Debian packages are missing: ${NO_SUCH}`);
    expect(asUser.stdout).toContain(debian.rootCommandLine([NO_SUCH]));
    expect(asUser.stdout).not.toContain('dpkg ');
  });
});
