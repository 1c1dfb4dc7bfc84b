/** Unpacks the host's packed messages (src/protocol/protocol.ts `PackedMessage`) in the webview. */
import { isPackedMessage } from '../src/protocol/protocol';

/**
 * The message a packed one carries (still unvalidated), or `data` itself when it is not packed.
 * Bytes that do not inflate to JSON give `undefined`, which no message validator accepts.
 */
export async function unpackMessage(data: unknown): Promise<unknown> {
  if (!isPackedMessage(data)) return data;
  try {
    const stream = new Blob([data.deflated as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
    return JSON.parse(await new Response(stream).text());
  } catch {
    return undefined;
  }
}
