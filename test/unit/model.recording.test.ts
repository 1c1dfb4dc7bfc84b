// Recording files: the header is checked, every bad line is reported with its number without
// losing the rest, and a replay stops exactly after the named marker, even mid-batch.
import { describe, expect, it } from 'vitest';
import { parseRecording, replay, replayRecording } from '../../src/model';
import { RECORDING_FORMAT } from '../../src/protocol/protocol';
import { batch, changed, created, fired, marker, PID, pending, summary } from './builders';

const header = { format: RECORDING_FORMAT, formatVersion: 1, protocolVersion: '1.0', pid: PID, startedAt: 5, argv: ['prog.py'] };
const file = (...lines: unknown[]) => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

describe('recordings', () => {
  it('reads the header and one batch per line, skipping blank lines', () => {
    const parsed = parseRecording(file(header, '', batch(created(1, pending(1))), '   '));
    expect(parsed.header).toEqual(header);
    expect(parsed.batches).toHaveLength(1);
    expect(parsed.lines).toEqual([3]);
    expect(parsed.errors).toEqual([]);
  });

  it.each([
    ['an empty file', '', { line: 1, message: 'the recording is empty' }],
    ['no header', file(batch(created(1, pending(1)))), { line: 1, message: expect.stringMatching(/missing recording header/) }],
    [
      'a newer container',
      file({ ...header, formatVersion: 2 }),
      { line: 1, message: expect.stringMatching(/format version 2 is not supported/) },
    ],
    [
      'a future protocol',
      file({ ...header, protocolVersion: '2.0' }),
      { line: 1, message: expect.stringMatching(/Unsupported event protocol 2\.0/) },
    ],
    ['a broken line', file(header, '{"events": ['), { line: 2, message: expect.stringMatching(/not valid JSON/) }],
  ])('reports %s with its line', (_what, text, error) => {
    expect(parseRecording(text).errors).toEqual([error]);
  });

  it('keeps replaying after a bad line and reports it', () => {
    const result = replayRecording(
      file(header, batch(created(1, pending(1))), 'oops', { protocolVersion: '1.0', pid: PID, batch: 9 }, batch(changed(2, fired(1, '3')))),
    );
    expect(result.errors.map((e) => e.line)).toEqual([3, 4]);
    expect(result.errors[1].message).toMatch(/batch\.events: expected an array/);
    expect(summary(result.model, 1)).toBe('fired 3 cbs=0');
  });

  it('stops right after the named marker, even inside a batch, and at the chosen occurrence', () => {
    const text = file(
      header,
      batch(created(1, pending(1)), marker(2, 'step'), changed(3, fired(1, '1')), marker(4, 'step'), changed(5, fired(1, '2'))),
    );
    expect(summary(replay(text, { atMark: 'step' }), 1)).toBe('pending N/A cbs=0');
    expect(summary(replay(text, { atMark: 'step', occurrence: 2 }), 1)).toBe('fired 1 cbs=0');
    expect(summary(replay(text), 1)).toBe('fired 2 cbs=0');
    expect(replay(text, { atMark: 'step' }).markers()).toEqual([{ name: 'step', seq: 2 }]);
  });

  it('throws, naming the markers there are, when the marker is missing', () => {
    const text = file(header, batch(marker(1, 'a'), marker(2, 'b')));
    expect(() => replay(text, { atMark: 'c' })).toThrow('No marker named "c" in the recording (markers: a, b).');
    expect(() => replay(text, { atMark: 'a', occurrence: 2 })).toThrow(/"a" \(occurrence 2\)/);
    expect(replayRecording(text, { atMark: 'c' }).markFound).toBe(false);
  });
});
