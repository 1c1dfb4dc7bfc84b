// Unit tests (test/unit): plain Node for the model, CLI and protocol drift; happy-dom only for
// the webview's DOM tests (test/unit/webview*.test.ts), so the rest runs without a fake DOM.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts'],
          exclude: ['test/unit/**/webview*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'webview',
          include: ['test/unit/**/webview*.test.ts'],
          environment: 'happy-dom',
        },
      },
    ],
  },
});
