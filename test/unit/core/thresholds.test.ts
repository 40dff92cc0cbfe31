import { describe, expect, it } from 'vitest';
import { compareThreshold, evaluateThreshold, parseThresholdExpression, parseThresholdMetricKey } from '../../../src/core/thresholds.js';

describe('parseThresholdExpression', () => {
  it.each([
    ['p(95)<500', 'p(95)', '<', 500],
    ['p(99.9) <= 1.5', 'p(99.9)', '<=', 1.5],
    ['count==0', 'count', '==', 0],
    ['rate<0.01', 'rate', '<', 0.01],
    ['avg>=200', 'avg', '>=', 200],
    ['med != 3', 'med', '!=', 3],
    ['value===1', 'value', '===', 1],
    ['max>1e3', 'max', '>', 1000],
  ])('reads "%s" as k6 does', (text, aggregation, operator, value) => {
    expect(parseThresholdExpression(text)).toEqual({ source: text.trim(), aggregation, operator, value });
  });

  it.each(['p95<500', 'count=0', 'latency<5', 'p(101)<5', 'avg<', '<5'])('refuses "%s" with a message that shows the syntax', (text) => {
    const result = parseThresholdExpression(text);
    expect(typeof result).toBe('string');
    expect(result as string).toContain(text);
  });
});

describe('parseThresholdMetricKey', () => {
  it('reads a plain metric and a sub-metric selected by one label', () => {
    expect(parseThresholdMetricKey('sse_drops')).toEqual({ name: 'sse_drops' });
    expect(parseThresholdMetricKey('sse_drops{reason:server_closed}')).toEqual({ name: 'sse_drops', label: { key: 'reason', value: 'server_closed' } });
    expect(typeof parseThresholdMetricKey('sse drops')).toBe('string');
  });
});

describe('evaluateThreshold', () => {
  const trend = { avg: 120, med: 100, 'p(95)': 480, 'p(99)': 900, max: 1200, count: 50 };

  it('compares the named aggregation of the summary values', () => {
    expect(evaluateThreshold(parseThresholdExpression('p(95)<500') as never, trend)).toEqual({ ok: true, actual: 480 });
    expect(evaluateThreshold(parseThresholdExpression('p(99)<500') as never, trend)).toEqual({ ok: false, actual: 900 });
    expect(evaluateThreshold(parseThresholdExpression('count==0') as never, { count: 2, rate: 0.1 })).toEqual({ ok: false, actual: 2 });
  });

  it('asks the histogram for a percentile the summary does not list', () => {
    const result = evaluateThreshold(parseThresholdExpression('p(99.9)<1000') as never, trend, (p) => (p === 99.9 ? 1100 : undefined));
    expect(result).toEqual({ ok: false, actual: 1100 });
  });

  it('treats a counter that never counted as zero, and passes a trend without samples', () => {
    expect(evaluateThreshold(parseThresholdExpression('count==0') as never, undefined)).toEqual({ ok: true, actual: 0 });
    expect(evaluateThreshold(parseThresholdExpression('count>0') as never, undefined)).toEqual({ ok: false, actual: 0 });
    expect(evaluateThreshold(parseThresholdExpression('p(95)<500') as never, { count: 0 })).toEqual({ ok: true, actual: null });
  });

  it('implements every operator', () => {
    expect([compareThreshold(1, '<', 2), compareThreshold(2, '<=', 2), compareThreshold(3, '>', 2), compareThreshold(2, '>=', 2)]).toEqual([true, true, true, true]);
    expect([compareThreshold(2, '==', 2), compareThreshold(2, '===', 2), compareThreshold(2, '!=', 2)]).toEqual([true, true, false]);
  });
});
