/**
 * Packed runtime data on the DAP route (wire.py `pack`): large `deferredGraph` event bodies
 * (PackedBatch) and the snapshot `evaluate` result. Node's zlib inflates them in the extension
 * host; the model only ever sees plain Batches.
 */
import { inflateSync } from 'node:zlib';
import { PACKED_PREFIX } from '../protocol/protocol';

/** The JSON text inside a packed string, or null when it is not one or does not inflate. */
export function inflatePacked(text: string): string | null {
  if (!text.startsWith(PACKED_PREFIX)) return null;
  try {
    return inflateSync(Buffer.from(text.slice(PACKED_PREFIX.length), 'base64')).toString('utf8');
  } catch {
    return null;
  }
}

export type Unpacked = { ok: true; value: unknown } | { ok: false; error: string };

/** A DAP event body as the model takes it: a PackedBatch unpacked, anything else as it is. */
export function unpackBatch(body: unknown): Unpacked {
  const packed = typeof body === 'object' && body !== null ? (body as { packed?: unknown }).packed : undefined;
  if (packed === undefined) return { ok: true, value: body };
  const batch = (body as { batch?: unknown }).batch;
  const text = typeof packed === 'string' ? inflatePacked(packed) : null;
  if (text !== null) {
    try {
      return { ok: true, value: JSON.parse(text) };
    } catch {
      // reported below
    }
  }
  return { ok: false, error: `Rejected packed batch ${JSON.stringify(batch)}: its data is not deflated JSON.` };
}
