/**
 * The extension host's two ways in that do not need VS Code: the loopback socket server (real
 * TCP on 127.0.0.1) and the decoding of a snapshot returned by DAP `evaluate` (checked against
 * the reprs a real Python prints). Their use inside VS Code is covered by test/vscode-suite.
 */
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSnapshotResult, unpackBatch, unquotePythonString } from '../../src/extension/packing';
import { RuntimeSocketServer, tokenMatches } from '../../src/extension/socketServer';
import { ResponseTap } from '../../src/extension/stopSnapshots';
import { type Batch, PACKED_PREFIX, type SnapshotEvent } from '../../src/protocol/protocol';

const PYTHON = '/usr/bin/python3';
const PYTHON_DIR = resolve(__dirname, '../../python');

function portOf(server: RuntimeSocketServer): number {
  return Number(server.address.split(':').pop());
}

/** Connects, writes `lines`, and resolves when the server closes the connection (or after `ms`). */
function exchange(port: number, lines: string[], ms = 1500): Promise<{ closedByServer: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(lines.map((l) => `${l}\n`).join('')));
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedByServer: false });
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByServer: true });
    });
    socket.on('error', () => undefined);
  });
}

const auth = (token: string, pid = 42) => JSON.stringify({ kind: 'auth', token, pid });
const batch = (n: number) => JSON.stringify({ protocolVersion: '1.0', pid: 42, batch: n, events: [] });

describe('RuntimeSocketServer', () => {
  const servers: RuntimeSocketServer[] = [];
  const start = async () => {
    const server = await RuntimeSocketServer.start();
    servers.push(server);
    return server;
  };
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it('listens on loopback with a fresh 32-byte token', async () => {
    const [a, b] = [await start(), await start()];
    expect(a.address).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(a.token).toMatch(/^[0-9a-f]{64}$/);
    expect(a.token).not.toBe(b.token);
  });

  it('closes a connection whose first line has a wrong token, and delivers nothing', async () => {
    const server = await start();
    const received: unknown[] = [];
    server.claim((value) => received.push(value));
    const wrong = server.token.slice(0, -1) + (server.token.endsWith('0') ? '1' : '0');
    expect(await exchange(portOf(server), [auth(wrong), batch(1)])).toEqual({ closedByServer: true });
    expect(await exchange(portOf(server), ['not json', batch(1)])).toEqual({ closedByServer: true });
    expect(received).toEqual([]);
    expect(server.rejected).toBe(2);
  });

  it('delivers batches with the pid after a right token, including those sent before a claim', async () => {
    const server = await start();
    await exchange(portOf(server), [auth(server.token, 7), batch(1)], 300);
    const received: Array<[unknown, number | null]> = [];
    server.claim((value, pid) => received.push([value, pid]));
    await exchange(portOf(server), [auth(server.token, 7), batch(2), '', batch(3)], 300);
    expect(received.map(([value, pid]) => [(value as { batch: number }).batch, pid])).toEqual([
      [1, 7],
      [2, 7],
      [3, 7],
    ]);
  });

  it('refuses connections once closed', async () => {
    const server = await start();
    const port = portOf(server);
    server.close();
    await expect(
      new Promise<void>((resolve, reject) => net.connect(port, '127.0.0.1', () => resolve()).on('error', reject)),
    ).rejects.toThrow(/ECONNREFUSED/);
  });

  it('compares tokens by value and length', () => {
    expect(tokenMatches('ab', 'ab')).toBe(true);
    expect(tokenMatches('ab', 'abc')).toBe(false);
    expect(tokenMatches(12, '12')).toBe(false);
  });
});

describe('snapshot results from evaluate', () => {
  it('decodes the quoted reprs Python prints for awkward strings', () => {
    const samples = ['plain', "it's", 'say "hi"', 'both \' and "', 'tab\tnew\nline\\back', '\x00\x1b\x7f', 'é ☃ 𝄞', ''];
    const reprs: string[] = JSON.parse(
      execFileSync(
        PYTHON,
        ['-c', 'import json,sys; print(json.dumps([repr(s) for s in json.loads(sys.argv[1])]))', JSON.stringify(samples)],
        {
          encoding: 'utf8',
        },
      ),
    );
    expect(reprs.map(unquotePythonString)).toEqual(samples);
  });

  it('accepts raw and quoted JSON batches alike', () => {
    const json = JSON.stringify({ protocolVersion: '1.0', pid: 1, batch: 0, events: [] });
    const quoted = execFileSync(PYTHON, ['-c', 'import sys; print(repr(sys.argv[1]))', json], { encoding: 'utf8' });
    for (const text of [json, quoted]) {
      const outcome = parseSnapshotResult(text);
      expect(outcome.ok && outcome.batch.pid).toBe(1);
    }
  });

  it('unpacks what the runtime packs at a stop, quoted or raw, into the same batch as its JSON', () => {
    const script = [
      'import json, sys, deferred_graph',
      'from twisted.internet import defer',
      'deferred_graph.install()',
      'a, b = defer.Deferred(), defer.Deferred()',
      'a.addCallback(lambda _: b); a.callback(1)',
      'crowd = [defer.succeed("x" * 50) for _ in range(300)]',
      'packed = deferred_graph.debug_snapshot_packed(locals(), globals())',
      'print(json.dumps([packed, repr(packed), deferred_graph.debug_snapshot_json(locals(), globals())]))',
    ].join('\n');
    const [packed, quoted, json] = JSON.parse(
      execFileSync(PYTHON, ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: PYTHON_DIR } }),
    ) as string[];
    expect(packed.startsWith(PACKED_PREFIX)).toBe(true);
    expect(packed.length * 4).toBeLessThan(json.length);
    const expected = JSON.parse(json) as Batch;
    for (const text of [packed, quoted]) {
      const outcome = parseSnapshotResult(text);
      expect(outcome.ok && outcome.batch.events[0]).toEqual({ ...expected.events[0], seq: expect.any(Number), t: expect.any(Number) });
      expect(outcome.ok && (outcome.batch.events[0] as SnapshotEvent).frameNames).toMatchObject({ [String(1)]: 'a', [String(2)]: 'b' });
    }
    expect(parseSnapshotResult(`${PACKED_PREFIX}bm90IHpsaWI=`)).toMatchObject({ ok: false, message: 'unreadable evaluate result' });
  });

  it('unpacks a PackedBatch DAP body packed by the runtime, and passes plain bodies through', () => {
    const batch = { protocolVersion: '1.2', pid: 7, batch: 3, events: [{ kind: 'marker', seq: 9, t: 1, name: 'é ☃ <img onerror>' }] };
    const packed = execFileSync(
      PYTHON,
      ['-c', 'import json, sys; from deferred_graph import wire; print(wire.pack(sys.argv[1].encode()))', JSON.stringify(batch)],
      {
        encoding: 'utf8',
        env: { ...process.env, PYTHONPATH: PYTHON_DIR },
      },
    ).trim();
    const body = { protocolVersion: '1.2', pid: 7, batch: 3, packed };
    expect(unpackBatch(body)).toEqual({ ok: true, value: batch });
    expect(unpackBatch(batch)).toEqual({ ok: true, value: batch });
    for (const broken of [packed.slice(0, -8), 'zlib64:!!!!', 'plain text', 42]) {
      expect(unpackBatch({ ...body, packed: broken })).toEqual({
        ok: false,
        error: 'Rejected packed batch 3: its data is not deflated JSON.',
      });
    }
  });

  it('reports a missing runtime and other garbage without throwing', () => {
    const missing = parseSnapshotResult("ModuleNotFoundError: No module named 'deferred_graph'");
    expect(missing).toMatchObject({ ok: false, missingRuntime: true });
    expect(parseSnapshotResult('{"not": "a batch"}')).toMatchObject({ ok: false, missingRuntime: false });
    expect(parseSnapshotResult("'unterminated")).toMatchObject({ ok: false });
  });
});

describe('ResponseTap', () => {
  const isSnapshot = (request: { command?: string }) => request.command === 'evaluate';

  it('hands over the response to the matching request, and only that one', async () => {
    const tap = new ResponseTap();
    const { response } = tap.next(isSnapshot);
    tap.request({ seq: 4, command: 'stackTrace' });
    tap.request({ seq: 5, command: 'evaluate' });
    tap.response({ request_seq: 4, success: true, body: { stackFrames: [] } });
    tap.response({ request_seq: 5, success: true, body: { result: 'snapshot' } });
    await expect(response).resolves.toMatchObject({ request_seq: 5, body: { result: 'snapshot' } });
  });

  it('forgets a cancelled wait, so a later request of the same kind is not captured', async () => {
    const tap = new ResponseTap();
    const first = tap.next(isSnapshot);
    first.cancel();
    tap.request({ seq: 1, command: 'evaluate' });
    const second = tap.next(isSnapshot);
    tap.response({ request_seq: 1, success: true });
    tap.request({ seq: 2, command: 'evaluate' });
    tap.response({ request_seq: 2, success: false, message: 'boom' });
    await expect(second.response).resolves.toMatchObject({ request_seq: 2, success: false });
    const settled = await Promise.race([first.response.then(() => 'resolved'), new Promise((r) => setTimeout(() => r('pending'), 50))]);
    expect(settled).toBe('pending');
  });
});
