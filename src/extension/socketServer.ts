/**
 * The loopback socket the runtime falls back to when custom DAP events cannot reach us (a
 * `noDebug` launch, or a debuggee whose debugpy lacks the writer the DAP transport needs).
 *
 * One server per injected launch, on 127.0.0.1 with an ephemeral port. Anyone on the machine can
 * connect to a loopback port, so the first line a client sends must carry the 32-byte token the
 * extension put in the debuggee's environment; it is compared in constant time and a wrong one
 * closes the connection. After that, one JSON Batch per line (JSON Lines).
 *
 * Memory is bounded: a line longer than MAX_LINE_CHARS closes that connection (the runtime
 * reconnects and resyncs with a snapshot), and batches that arrive before a session claims the
 * server are kept only up to MAX_UNCLAIMED_LINES.
 */
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import { SOCKET_AUTH_KIND } from '../protocol/protocol';

const MAX_LINE_CHARS = 64 * 1024 * 1024;
const MAX_UNCLAIMED_LINES = 2000;
const AUTH_TIMEOUT_MS = 10_000;

/** Receives one parsed line (a Batch, not yet validated) from an authenticated runtime. */
export type LineSink = (value: unknown, pid: number | null) => void;

/** True when `given` equals `expected`, taking the same time for every wrong value of that length. */
export function tokenMatches(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) return false;
  return crypto.timingSafeEqual(a, b);
}

export class RuntimeSocketServer {
  readonly token = crypto.randomBytes(32).toString('hex');
  private readonly server = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Set<net.Socket>();
  private sink: LineSink | null = null;
  private unclaimed: Array<[unknown, number | null]> = [];
  /** Lines dropped because nobody claimed the server in time; reported to the sink. */
  droppedBeforeClaim = 0;
  /** Connections closed for a bad or missing token (read by tests). */
  rejected = 0;
  private closed = false;

  private constructor() {}

  /** Starts listening on an ephemeral loopback port. */
  static async start(): Promise<RuntimeSocketServer> {
    const server = new RuntimeSocketServer();
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.server.listen(0, '127.0.0.1', () => resolve());
    });
    server.server.on('error', () => server.close());
    return server;
  }

  /** The value of DEFERRED_GRAPH_SOCKET for the runtime. */
  get address(): string {
    const info = this.server.address() as net.AddressInfo;
    return `tcp:127.0.0.1:${info.port}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Routes lines to `sink` from now on, first handing it what arrived before. */
  claim(sink: LineSink): void {
    this.sink = sink;
    const early = this.unclaimed;
    this.unclaimed = [];
    for (const [value, pid] of early) sink(value, pid);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.unclaimed = [];
    this.sink = null;
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let pending = '';
    let pid: number | null = null;
    let authenticated = false;
    const authTimer = setTimeout(() => this.reject(socket), AUTH_TIMEOUT_MS);
    socket.on('data', (chunk: string) => {
      pending += chunk;
      for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (!line.trim()) continue;
        if (!authenticated) {
          const auth = parseAuth(line, this.token);
          clearTimeout(authTimer);
          if (auth === null) {
            this.reject(socket);
            return;
          }
          authenticated = true;
          pid = auth.pid;
          continue;
        }
        this.deliver(line, pid);
      }
      if (pending.length > MAX_LINE_CHARS || (!authenticated && pending.length > 4096)) {
        this.reject(socket);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.sockets.delete(socket);
    });
  }

  private reject(socket: net.Socket): void {
    this.rejected += 1;
    socket.destroy();
  }

  private deliver(line: string, pid: number | null): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = { malformed: line.slice(0, 200) };
    }
    if (this.sink) {
      this.sink(value, pid);
    } else if (this.unclaimed.length < MAX_UNCLAIMED_LINES) {
      this.unclaimed.push([value, pid]);
    } else {
      this.droppedBeforeClaim += 1;
    }
  }
}

function parseAuth(line: string, token: string): { pid: number | null } | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.kind !== SOCKET_AUTH_KIND || !tokenMatches(record.token, token)) return null;
  return { pid: typeof record.pid === 'number' ? record.pid : null };
}
