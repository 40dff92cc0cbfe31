import { describe, expect, it } from 'vitest';
import { breakdownThresholds, forK6 } from '../../../scenarios/lib/thresholds.js';

describe('forK6 (streamsoak thresholds in k6 terms)', () => {
  it('moves `rate` thresholds of sse_connect_failures to the Rate that measures the failed share', () => {
    expect(forK6({ sse_connect_failures: ['rate<0.01', 'count<100'], sse_event_latency: ['p(95)<500'] })).toEqual({
      sse_connect_failures: ['count<100'],
      sse_connect_failure_ratio: ['rate<0.01'],
      sse_event_latency: ['p(95)<500'],
    });
    expect(forK6({ sse_connect_failures: [{ threshold: 'rate < 0.05', abortOnFail: true }] })).toEqual({
      sse_connect_failure_ratio: [{ threshold: 'rate < 0.05', abortOnFail: true }],
    });
  });

  it('leaves everything else as written', () => {
    const thresholds = { sse_connect_failures: ['count==0'], 'sse_drops{reason:reset}': ['count==0'] };
    expect(forK6(thresholds)).toBe(thresholds);
  });

  it('marks every reason and status class, so k6 keeps their submetrics for the breakdown', () => {
    const markers = breakdownThresholds(['sse', 'poll']);
    expect(markers['sse_connect_failures{reason:client_fd_limit}']).toEqual(['count>=0']);
    expect(markers['sse_drops{reason:idle_timeout}']).toEqual(['count>=0']);
    expect(markers['poll_requests{status:5xx}']).toEqual(['count>=0']);
    expect(Object.keys(breakdownThresholds(['poll'])).every((key) => key.startsWith('poll_requests'))).toBe(true);
  });
});
