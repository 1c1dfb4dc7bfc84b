/**
 * Small process helpers shared by the harness scripts: run a command with inherited output and a
 * clear error, find a free loopback port, wait for an HTTP endpoint.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

/** Runs a command to completion with output passed through; rejects with the command line on failure. */
export function run(cmd, args, { cwd, env, quiet = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd,
      env: env ?? process.env,
      stdio: quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    });
    let out = '';
    if (quiet) {
      child.stdout.on('data', (c) => {
        out += c;
      });
      child.stderr.on('data', (c) => {
        out += c;
      });
    }
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}${quiet ? `\n${out.slice(-4000)}` : ''}`));
    });
  });
}

/** A port the kernel just handed out on loopback (closed again before returning). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Status code of a GET, or 0 when nothing answers yet. */
function probe(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(0);
    });
  });
}

/** Polls until the URL answers 2xx/3xx, or rejects after `timeoutMs` (or when `alive()` turns false). */
export async function waitForHttp(url, { timeoutMs = 60000, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`process serving ${url} exited before it was ready`);
    const code = await probe(url);
    if (code >= 200 && code < 400) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms`);
}
