/**
 * The layout worker's entry (bundled on its own, then started from a Blob by layoutClient.ts,
 * which the webview's CSP allows with `worker-src blob:`): lays out what it is sent and sends
 * the positions back, transferred rather than copied.
 */
import { type LayoutInput, tidyLayout } from './graphLayout';

interface WorkerScope {
  onmessage: ((event: MessageEvent<LayoutInput & { generation: number }>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = self as unknown as WorkerScope;
scope.onmessage = (event) => {
  const started = performance.now();
  const result = tidyLayout(event.data);
  scope.postMessage({ generation: event.data.generation, ...result, workerMs: performance.now() - started }, [
    result.x.buffer,
    result.y.buffer,
  ]);
};
