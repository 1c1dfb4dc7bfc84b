/**
 * The extension's settings, read in one place so every part agrees on names and defaults
 * (the defaults repeat package.json's `contributes.configuration`, which VS Code applies first).
 */
import * as vscode from 'vscode';

export const SECTION = 'deferredGraph';

export interface Settings {
  /** Add the runtime to Python launch configurations. */
  inject: boolean;
  /** Open the panel when a Python debug session starts. */
  openOnDebugStart: boolean;
  retainFired: number;
  retainCollected: number;
  /** Runtime pump period and the host's delta coalescing period. */
  flushIntervalMs: number;
  reprLimit: number;
}

/** Debug types whose launches are Python programs (`python` is the legacy name). */
export const PYTHON_DEBUG_TYPES: ReadonlySet<string> = new Set(['debugpy', 'python']);

function clampedNumber(value: unknown, fallback: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}

/** Reads the settings for a folder (or the window), clamping numbers to sane ranges. */
export function readSettings(scope?: vscode.ConfigurationScope | null): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope ?? undefined);
  return {
    inject: config.get<boolean>('inject', true) !== false,
    openOnDebugStart: config.get<boolean>('openOnDebugStart', false) === true,
    retainFired: clampedNumber(config.get('retainFired'), 500, 0, 1_000_000),
    retainCollected: clampedNumber(config.get('retainCollected'), 200, 0, 1_000_000),
    flushIntervalMs: clampedNumber(config.get('flushIntervalMs'), 50, 5, 5000),
    reprLimit: clampedNumber(config.get('reprLimit'), 300, 20, 100_000),
  };
}
