import { describe, expect, it } from 'vitest';
import { parseArgsOrUsage, parseDurationFlag, parseIntegerFlag, parsePositiveNumberFlag } from '../../../src/cli/args.js';
import { UsageError } from '../../../src/core/errors.js';

const USAGE = 'usage: streamsoak example [--count N]';

function usageErrorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseArgsOrUsage', () => {
  it('returns what node:util parseArgs returns for good flags', () => {
    const parsed = parseArgsOrUsage({ args: ['--count', '3', 'dir'], allowPositionals: true, options: { count: { type: 'string' } } }, USAGE);
    expect(parsed.values.count).toBe('3');
    expect(parsed.positionals).toEqual(['dir']);
  });

  it('turns an unknown option into a UsageError that carries the usage text', () => {
    const error = usageErrorOf(() => parseArgsOrUsage({ args: ['--bogus'], options: { count: { type: 'string' } }, strict: true }, USAGE));
    expect(error.message).toContain("'--bogus'");
    expect(error.message.endsWith(`\n\n${USAGE}`)).toBe(true);
  });

  it('turns a missing option value into a UsageError', () => {
    expect(() => parseArgsOrUsage({ args: ['--count'], options: { count: { type: 'string' } }, strict: true }, USAGE)).toThrow(UsageError);
  });
});

describe('parseIntegerFlag', () => {
  it('accepts decimal digits, surrounding blanks included', () => {
    expect(parseIntegerFlag('--port', '0')).toBe(0);
    expect(parseIntegerFlag('--port', ' 8080 ')).toBe(8080);
  });

  it.each(['-1', '1.5', '1e3', '0x10', '', 'many', '99999999999999999999'])('refuses %j, naming the flag and the value', (text) => {
    expect(usageErrorOf(() => parseIntegerFlag('--vus', text)).message).toContain(`--vus ${text}: expected a non-negative whole number`);
  });

  it('keeps the value within the range it is given', () => {
    expect(parseIntegerFlag('--workers', '256', { min: 1, max: 256 })).toBe(256);
    expect(usageErrorOf(() => parseIntegerFlag('--workers', '0', { min: 1, max: 256 })).message).toBe('--workers 0: expected a whole number from 1 to 256');
    expect(usageErrorOf(() => parseIntegerFlag('--port', '65536', { max: 65535 })).message).toBe('--port 65536: expected a whole number from 0 to 65535');
    expect(usageErrorOf(() => parseIntegerFlag('--vus', '0', { min: 1 })).message).toBe('--vus 0: expected a whole number ≥ 1');
  });
});

describe('parseDurationFlag', () => {
  it('reads k6 durations in milliseconds; a bare number is milliseconds', () => {
    expect(parseDurationFlag('--interval', '1m30s')).toBe(90_000);
    expect(parseDurationFlag('--interval', '250')).toBe(250);
    expect(parseDurationFlag('--interval', '1.5ms')).toBe(1.5);
  });

  it('refuses what is not a duration', () => {
    expect(usageErrorOf(() => parseDurationFlag('--duration', 'soon')).message).toBe('--duration soon: expected a duration (e.g. 500ms, 30s, 5m)');
  });

  it('keeps the duration within the bounds it is given, and says them', () => {
    expect(parseDurationFlag('--hold', '1h', { minMs: 1_000, maxMs: 3_600_000 })).toBe(3_600_000);
    expect(usageErrorOf(() => parseDurationFlag('--hold', '2h', { minMs: 1_000, maxMs: 3_600_000 })).message).toBe('--hold 2h: expected a duration from 1s to 60m (e.g. 500ms, 30s, 5m)');
    expect(usageErrorOf(() => parseDurationFlag('--ttl', '500ms', { minMs: 1_000 })).message).toBe('--ttl 500ms: expected a duration of at least 1s (e.g. 500ms, 30s, 5m)');
  });
});

describe('parsePositiveNumberFlag', () => {
  it('accepts a finite number above zero', () => {
    expect(parsePositiveNumberFlag('--time-scale', '0.1')).toBe(0.1);
  });

  it.each(['0', '-1', 'Infinity', 'fast', ''])('refuses %j', (text) => {
    expect(usageErrorOf(() => parsePositiveNumberFlag('--time-scale', text)).message).toBe(`--time-scale ${text}: expected a positive number`);
  });
});
