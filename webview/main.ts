/**
 * Entry point of dist/webview.js: mounts the app on `#app` and starts the ready handshake.
 * Everything else lives in modules that tests import directly.
 */
import { DeferredGraphApp } from './app';
import { connectHost } from './host';

function boot(): void {
  const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
  root.id = 'app';
  const app = new DeferredGraphApp(root, connectHost());
  app.start();
  // Keep the latest view state when the panel is hidden or reloaded.
  window.addEventListener('pagehide', () => app.saveNow());
}

boot();
