// The TypeScript protocol must mirror python/deferred_graph/wire.py. Both sides are read by
// their own language: Python imports wire.py and lists its constants and TypedDict fields with
// typing.get_type_hints; TypeScript's own checker (typescript/unstable/sync) reads the wire
// section of protocol.ts. Field types are compared too, in one canonical spelling
// ("string | null", "CallableInfo[]", "Record<string, string>"). Altered copies of either file
// prove the comparison fails on drift.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { API, type Checker, SymbolFlags, type Type, TypeFlags } from 'typescript/unstable/sync';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');
const WIRE_PY = join(ROOT, 'python/deferred_graph/wire.py');
const PROTOCOL_TS = join(ROOT, 'src/protocol/protocol.ts');
/** protocol.ts: everything above this divider is the wire schema; below it, webview messages. */
const WEBVIEW_DIVIDER = '// Extension host ↔ webview';

/** What each side declares, in one shape: constant values and each wire type's field types. */
interface Contract {
  constants: Record<string, unknown>;
  types: Record<string, Record<string, string>>;
}

const DUMP_WIRE_PY = `
import importlib.util, json, sys, typing

spec = importlib.util.spec_from_file_location("wire_under_test", sys.argv[1])
wire = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = wire
spec.loader.exec_module(wire)

def canon(tp):
    """The TypeScript spelling of a type hint, unions as sorted sets."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return "null"
    simple = {str: "string", int: "number", float: "number", bool: "boolean", typing.Any: "any"}
    if tp in simple:
        return simple[tp]
    if origin is typing.Union or origin is typing.Literal:
        parts = set()
        for a in args:
            parts.update((json.dumps(a) if origin is typing.Literal else canon(a)).split(" | "))
        return " | ".join(sorted(parts))
    if origin is list:
        inner = canon(args[0])
        return f"({inner})[]" if " | " in inner else f"{inner}[]"
    if origin is dict:
        return f"Record<{canon(args[0])}, {canon(args[1])}>"
    if typing.is_typeddict(tp):
        return tp.__name__
    raise TypeError(f"no TypeScript spelling for {tp!r}")

constants, types = {}, {}
for name, value in vars(wire).items():
    if name.isupper() and isinstance(value, (str, int, tuple)):
        constants[name] = list(value) if isinstance(value, tuple) else value
    elif isinstance(value, type) and typing.is_typeddict(value) and value.__module__ == wire.__name__:
        types[name] = {field: canon(hint) for field, hint in typing.get_type_hints(value).items()}
print(json.dumps({"constants": constants, "types": types}))
`;

/** wire.py's contract, read by Python itself. */
function pythonContract(wirePath: string): Contract {
  const out = execFileSync('/usr/bin/python3', ['-c', DUMP_WIRE_PY, wirePath], { encoding: 'utf8' });
  return JSON.parse(out) as Contract;
}

function literalValue(type: Type): unknown {
  if (type.isStringLiteralType() || type.isNumberLiteralType()) return type.value;
  throw new Error(`not a literal type (flags ${type.flags})`);
}

/** A type in the same canonical spelling the Python side produces. */
function canon(checker: Checker, type: Type): string {
  if (type.isUnionType()) {
    const parts = new Set(type.getTypes().flatMap((t) => canon(checker, t).split(' | ')));
    if (parts.delete('true') && parts.delete('false')) parts.add('boolean');
    return [...parts].sort().join(' | ');
  }
  if (type.isStringLiteralType()) return JSON.stringify(type.value);
  if (type.isLiteralType()) return String(type.value);
  const intrinsic: [number, string][] = [
    [TypeFlags.String, 'string'],
    [TypeFlags.Number, 'number'],
    [TypeFlags.Boolean, 'boolean'],
    [TypeFlags.Null, 'null'],
    [TypeFlags.Any, 'any'],
  ];
  for (const [flag, name] of intrinsic) if (type.flags & flag) return name;
  if (checker.isArrayType(type)) {
    const inner = canon(checker, checker.getTypeArguments(type as never)[0]);
    return inner.includes(' | ') ? `(${inner})[]` : `${inner}[]`;
  }
  if (type.getAliasSymbol()?.name === 'Record') {
    const [key, value] = type.getAliasTypeArguments();
    return `Record<${canon(checker, key)}, ${canon(checker, value)}>`;
  }
  const name = type.getSymbol()?.name;
  if (type.isObjectType() && name && name !== '__type') return name;
  return checker.typeToString(type);
}

/**
 * protocol.ts's contract, read by the TypeScript checker from a copy of its wire section.
 * ENV's camelCase keys are reported under wire.py's names (flushMs → ENV_FLUSH_MS).
 */
function typescriptContract(protocolText: string): Contract {
  const cut = protocolText.indexOf(WEBVIEW_DIVIDER);
  if (cut < 0) throw new Error(`protocol.ts lost its "${WEBVIEW_DIVIDER}" divider`);
  const dir = mkdtempSync(join(tmpdir(), 'protocol-drift-'));
  try {
    writeFileSync(join(dir, 'wire.ts'), protocolText.slice(0, cut));
    const options = { strict: true, noEmit: true, types: [], lib: ['ES2022'], target: 'ES2022' };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['wire.ts'] }));
    const api = new API({ cwd: dir });
    try {
      const project = api.updateSnapshot({ openProjects: [join(dir, 'tsconfig.json')] }).getProjects()[0];
      const checker = project.checker;
      const file = project.program.getSourceFile(join(dir, 'wire.ts'))!;
      const contract: Contract = { constants: {}, types: {} };
      for (const symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(file)!)) {
        if (symbol.flags & SymbolFlags.Interface) {
          const fields: Record<string, string> = {};
          for (const prop of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))) {
            fields[prop.name] = canon(checker, checker.getTypeOfSymbol(prop)!);
          }
          contract.types[symbol.name] = fields;
        } else if (symbol.flags & SymbolFlags.Variable) {
          const type = checker.getTypeOfSymbol(symbol)!;
          if (symbol.name === 'ENV') {
            for (const prop of checker.getPropertiesOfType(type)) {
              const pyName = `ENV_${prop.name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
              contract.constants[pyName] = literalValue(checker.getTypeOfSymbol(prop)!);
            }
          } else if (checker.isTupleType(type)) {
            contract.constants[symbol.name] = checker.getTypeArguments(type as never).map(literalValue);
          } else {
            contract.constants[symbol.name] = literalValue(type);
          }
        }
      }
      return contract;
    } finally {
      api.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every disagreement, worded so the failing test says what to change. */
function drift(py: Contract, ts: Contract): string[] {
  const out: string[] = [];
  const tsConstants = { ...ts.constants };
  const major = tsConstants.PROTOCOL_MAJOR;
  delete tsConstants.PROTOCOL_MAJOR;
  if (major !== Number(String(py.constants.PROTOCOL_VERSION).split('.')[0])) {
    out.push(`PROTOCOL_MAJOR is ${String(major)} but PROTOCOL_VERSION is ${String(py.constants.PROTOCOL_VERSION)}`);
  }
  for (const name of new Set([...Object.keys(py.constants), ...Object.keys(tsConstants)])) {
    const [p, t] = [JSON.stringify(py.constants[name]), JSON.stringify(tsConstants[name])];
    if (p !== t) out.push(`constant ${name}: wire.py ${p ?? 'missing'}, protocol.ts ${t ?? 'missing'}`);
  }
  for (const name of new Set([...Object.keys(py.types), ...Object.keys(ts.types)])) {
    const [p, t] = [py.types[name], ts.types[name]];
    if (!p || !t) {
      out.push(`type ${name}: only in ${p ? 'wire.py' : 'protocol.ts'}`);
      continue;
    }
    for (const field of new Set([...Object.keys(p), ...Object.keys(t)])) {
      if (p[field] !== t[field]) out.push(`${name}.${field}: wire.py ${p[field] ?? 'missing'}, protocol.ts ${t[field] ?? 'missing'}`);
    }
  }
  return out;
}

const realProtocol = readFileSync(PROTOCOL_TS, 'utf8');
const realWire = readFileSync(WIRE_PY, 'utf8');
const python = pythonContract(WIRE_PY);
const typescript = typescriptContract(realProtocol);
const scratch = mkdtempSync(join(tmpdir(), 'wire-drift-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Applies one textual change, failing loudly if the text to change is no longer there. */
function alter(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`cannot alter: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

describe('protocol drift between wire.py and protocol.ts', () => {
  it('reads a contract worth comparing from both sides', () => {
    expect(Object.keys(python.types)).toEqual(expect.arrayContaining(['DeferredState', 'SnapshotEvent', 'Batch', 'RecordingHeader']));
    expect(python.types.DeferredState.waitingOn).toBe('null | number');
    expect(typescript.types.HelloEvent.seq).toBe('number');
    expect(python.constants.EVENT_KINDS).toContain('snapshot');
  });

  it('finds no drift: same constants, event kinds, wire types, fields and field types', () => {
    expect(drift(python, typescript)).toEqual([]);
  });

  it.each([
    [
      'a renamed field',
      'this one waits on. */ waitingOn: number | null;',
      'this one waits on. */ waitingFor: number | null;',
      /DeferredState\.waitingOn: wire\.py null \| number, protocol\.ts missing/,
    ],
    ['a field of another type', 'paused: number;', 'paused: boolean;', /DeferredState\.paused: wire\.py number, protocol\.ts boolean/],
    ['a nullable field made required', 'twisted: string | null;', 'twisted: string;', /HelloEvent\.twisted/],
    ['a changed constant', "PROTOCOL_VERSION = '1.3'", "PROTOCOL_VERSION = '1.4'", /constant PROTOCOL_VERSION/],
    ['an extra event kind', "'snapshot'] as const", "'snapshot', 'teleported'] as const", /constant EVENT_KINDS/],
    ['a renamed environment variable', "flushMs: 'DEFERRED_GRAPH_FLUSH_MS'", "flushMs: 'DEFERRED_GRAPH_FLUSH'", /constant ENV_FLUSH_MS/],
    [
      'a wire type only in TypeScript',
      'export interface RecordingHeader {',
      'export interface Extra { x: number }\nexport interface RecordingHeader {',
      /type Extra: only in protocol\.ts/,
    ],
    [
      'a renamed snapshot function',
      "SNAPSHOT_FUNCTION = 'debug_snapshot_packed'",
      "SNAPSHOT_FUNCTION = 'debug_snapshot'",
      /constant SNAPSHOT_FUNCTION/,
    ],
    ['a changed literal kind', "kind: 'inlineCallbacks' | 'coroutine';", "kind: 'inlineCallbacks' | 'generator';", /CoroutineInfo\.kind/],
  ])('fails on an altered copy of protocol.ts with %s', (_what, from, to, expected) => {
    const altered = typescriptContract(alter(realProtocol, from, to));
    expect(drift(python, altered).join('\n')).toMatch(expected);
  });

  it('names the function the runtime package really has: it returns a packed snapshot Batch', () => {
    // The extension evaluates SNAPSHOT_FUNCTION by name in the debuggee; the wire constant
    // agreeing with protocol.ts is worthless if the package renamed the function itself.
    const script = [
      'import json, deferred_graph, deferred_graph.wire as wire',
      'packed = getattr(deferred_graph, wire.SNAPSHOT_FUNCTION)({}, {})',
      'print(json.dumps(wire.unpack(packed)))',
    ].join('\n');
    const env = { ...process.env, PYTHONPATH: join(ROOT, 'python') };
    const batch = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env }));
    expect(batch.protocolVersion).toBe(python.constants.PROTOCOL_VERSION);
    expect(batch.events.map((event: { kind: string }) => event.kind)).toEqual(['snapshot']);
  });

  it('fails on an altered copy of wire.py: a new field and a new TypedDict', () => {
    const path = join(scratch, 'wire.py');
    let text = alter(realWire, '    cancelled: bool\n', '    cancelled: bool\n    cancelledAt: Optional[float]\n');
    text += '\n\nclass PausedEvent(TypedDict):\n    kind: Literal["paused"]\n    seq: int\n';
    writeFileSync(path, text);
    const report = drift(pythonContract(path), typescript).join('\n');
    expect(report).toMatch(/DeferredState\.cancelledAt: wire\.py null \| number, protocol\.ts missing/);
    expect(report).toMatch(/type PausedEvent: only in wire\.py/);
  });
});
