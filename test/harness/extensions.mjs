/**
 * Installs extensions into a code-server extensions folder the way VS Code lays them out:
 * `E/<publisher>.<name>-<version>/`. code-server picks these up at start when E holds no stale
 * `extensions.json` (FIELD-NOTES §5), so every run starts from an empty E.
 *
 * The product is installed from its packaged .vsix (what a user gets), never from the source tree.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PY_TW22 } from './paths.mjs';
import { run } from './proc.mjs';

function folderName(manifest) {
  return `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase();
}

/**
 * Extracts a .vsix (a zip whose `extension/` folder is the installed extension) into E.
 * Uses Python's zipfile (always present here, unlike `unzip` on a bare machine).
 */
export async function installVsix(vsixPath, extensionsDir) {
  if (!fs.existsSync(vsixPath)) throw new Error(`no .vsix at ${vsixPath}: run \`npm run package\` first`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-vsix-'));
  try {
    await run(PY_TW22, ['-m', 'zipfile', '-e', vsixPath, tmp], { quiet: true });
    const src = path.join(tmp, 'extension');
    const manifest = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8'));
    const dest = path.join(extensionsDir, folderName(manifest));
    fs.mkdirSync(extensionsDir, { recursive: true });
    fs.rmSync(dest, { recursive: true, force: true });
    fs.cpSync(src, dest, { recursive: true });
    return { dir: dest, id: `${manifest.publisher}.${manifest.name}`, manifest };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Copies an unpacked extension folder (the test-only helper) into E. */
export function installFolder(srcDir, extensionsDir) {
  const manifest = JSON.parse(fs.readFileSync(path.join(srcDir, 'package.json'), 'utf8'));
  const dest = path.join(extensionsDir, folderName(manifest));
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(srcDir, dest, { recursive: true });
  return { dir: dest, id: `${manifest.publisher}.${manifest.name}`, manifest };
}

/** Lists the files of a .vsix with their sizes (for the package contents test). */
export async function listVsix(vsixPath) {
  const script =
    'import sys, zipfile, json; z = zipfile.ZipFile(sys.argv[1]); ' +
    'print(json.dumps([[i.filename, i.file_size] for i in z.infolist()]))';
  const out = await run(PY_TW22, ['-c', script, vsixPath], { quiet: true });
  return JSON.parse(out).map(([name, size]) => ({ name, size }));
}

/** The text of one file inside a .vsix. */
export async function listVsixFile(vsixPath, member) {
  const script = 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode("utf-8"))';
  return run(PY_TW22, ['-c', script, vsixPath, member], { quiet: true });
}
