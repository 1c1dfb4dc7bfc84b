/**
 * Injection: a `'*'` debug configuration provider that adds the Deferred Graph runtime to Python
 * launch configurations.
 *
 * It works in `resolveDebugConfigurationWithSubstitutedVariables` because `'*'` providers run
 * after the Python Debugger's own, so `env` (including what `envFile` contributed) is final
 * there. The debugpy launcher *replaces* PYTHONPATH with `env.PYTHONPATH` rather than appending,
 * so we prepend our two folders to the user's value ourselves — the configuration's, or else the
 * one VS Code itself runs with, which the program would otherwise have inherited. The bootstrap
 * folder's `sitecustomize` runs any other `sitecustomize` on the path afterwards, so the user's
 * keeps working.
 */
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { ENV } from '../protocol/protocol';
import { PYTHON_DEBUG_TYPES, readSettings, type Settings } from './settings';

/** Where the runtime ships inside the extension. */
export interface RuntimePaths {
  /** `python/bootstrap`: holds the `sitecustomize.py` that installs the runtime. */
  bootstrapDir: string;
  /** `python`: holds the `deferred_graph` package. */
  packageDir: string;
}

export function runtimePaths(extensionPath: string): RuntimePaths {
  return {
    bootstrapDir: path.join(extensionPath, 'python', 'bootstrap'),
    packageDir: path.join(extensionPath, 'python'),
  };
}

/** The loopback endpoint the runtime falls back to when DAP events are unavailable. */
export interface SocketEndpoint {
  address: string;
  token: string;
}

/** Hands out a socket endpoint whose server lives as long as the session that will use it. */
export type EndpointFactory = () => Promise<SocketEndpoint | null>;

/** True for configurations we inject into: Python launches (not attaches). */
export function isInjectable(config: vscode.DebugConfiguration): boolean {
  return PYTHON_DEBUG_TYPES.has(config.type) && config.request === 'launch';
}

/**
 * Returns a copy of `config` whose environment loads the runtime. Idempotent: a configuration
 * that already carries our bootstrap folder first is returned with its PYTHONPATH unchanged.
 */
export function injectRuntime(
  config: vscode.DebugConfiguration,
  paths: RuntimePaths,
  settings: Pick<Settings, 'flushIntervalMs' | 'reprLimit'>,
  endpoint: SocketEndpoint | null,
  inheritedPythonPath: string | undefined = process.env.PYTHONPATH,
): vscode.DebugConfiguration {
  const env: Record<string, string | null> = { ...(config.env ?? {}) };
  const userPath = typeof env.PYTHONPATH === 'string' ? env.PYTHONPATH : inheritedPythonPath;
  const userEntries = (userPath ?? '').split(path.delimiter).filter((entry) => entry !== '');
  const ours = [paths.bootstrapDir, paths.packageDir];
  const rest = userEntries.filter((entry) => !ours.includes(entry));
  env.PYTHONPATH = [...ours, ...rest].join(path.delimiter);
  env[ENV.enable] = '1';
  env[ENV.flushMs] = String(settings.flushIntervalMs);
  env[ENV.reprLimit] = String(settings.reprLimit);
  if (endpoint) {
    env[ENV.socket] = endpoint.address;
    env[ENV.token] = endpoint.token;
  }
  return { ...config, env, rules: withRuntimeExcluded(config.rules, paths) };
}

/**
 * debugpy's `rules` with the runtime's own files left out of debugging (never stepped into,
 * never stopped in: its finaliser runs as any Deferred dies, in the middle of the user's code),
 * after the user's rules, once.
 */
function withRuntimeExcluded(rules: unknown, paths: RuntimePaths): unknown[] {
  const given = Array.isArray(rules) ? rules : [];
  const ours = [path.join(paths.packageDir, 'deferred_graph', '**'), path.join(paths.bootstrapDir, '**')];
  const present = new Set(given.map((rule) => (rule && typeof rule === 'object' ? (rule as { path?: unknown }).path : undefined)));
  return [...given, ...ours.filter((glob) => !present.has(glob)).map((glob) => ({ path: glob, include: false }))];
}

/** The token a resolved configuration carries, used to pair a session with its socket server. */
export function injectedToken(config: vscode.DebugConfiguration): string | null {
  const token = config.env?.[ENV.token];
  return typeof token === 'string' ? token : null;
}

/** Whether the runtime was put into this configuration's environment by us. */
export function isInjected(config: vscode.DebugConfiguration): boolean {
  return config.env?.[ENV.enable] === '1';
}

export class InjectionProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly paths: RuntimePaths,
    private readonly endpoints: EndpointFactory,
  ) {}

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration> {
    if (!isInjectable(config)) return config;
    const settings = readSettings(folder?.uri);
    if (!settings.inject) return config;
    const endpoint = await this.endpoints().catch(() => null);
    return injectRuntime(config, this.paths, settings, endpoint);
  }
}
