/**
 * Large host→webview messages travel packed: their JSON, zlib-deflated, as a byte array.
 *
 * `webview.postMessage` JSON-encodes an object, and in code-server (VS Code in the browser) the
 * workbench receives that text escaped inside its own RPC JSON, decodes it and re-posts it to
 * the webview's iframe — ~0.5 MB for the 1,000 renamed rows of a debugger stop, 50–90 ms on the
 * stop's critical path while the workbench was busy with the stop itself. A typed array is
 * passed beside the RPC message as binary and handed to the iframe as is, and deflated it is
 * about a tenth of the size (bench/RESULTS-e2e.md). Small messages stay plain objects.
 *
 * The host packs with Node's zlib (src/extension/packMessage.ts), the webview unpacks with the
 * browser's DecompressionStream (webview/unpack.ts); both speak the zlib ("deflate") format.
 */

/** Messages whose JSON is longer than this many characters are packed. */
export const PACK_THRESHOLD_CHARS = 16 * 1024;

export interface PackedMessage {
  type: 'packed';
  /** UTF-8 JSON of a ToWebviewMessage, zlib-deflated. */
  deflated: Uint8Array;
}

export function isPackedMessage(data: unknown): data is PackedMessage {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { type?: unknown }).type === 'packed' &&
    (data as { deflated?: unknown }).deflated instanceof Uint8Array
  );
}
