import { describe, expect, it } from 'vitest';
import { summarySchema, timelineSchema, type Summary } from '../../../../src/results/schema.js';
import { renderHtmlReport } from '../../../../src/report/html/html-report.js';
import { makeFixtureRun } from '../../../fixtures/results/make-results.js';

const RUN = makeFixtureRun();
const TIMELINE = timelineSchema.parse(RUN.timeline);

function render(clock: Summary['clock'], dropLatency = false): string {
  const summary = summarySchema.parse({ ...RUN.summary, clock });
  if (dropLatency) {
    delete summary.metrics.sse_event_latency;
    delete summary.metrics.poll_delivery_delay;
  }
  return renderHtmlReport({ summary, timeline: TIMELINE, records: RUN.records });
}

function tiles(html: string): string {
  return /<section class="tiles">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
}

describe('report latency beside its clock', () => {
  it('puts the offset uncertainty beside the latency tiles, tables and charts of an api-time run', () => {
    const html = render({ method: 'api-time', offsetMs: 2_500.2, uncertaintyMs: 41.3, roundTripMs: 82.6, samples: 12, driftMs: 0.4, note: '± 42 ms (clock offset uncertainty)' });
    expect(tiles(html).match(/± 42 ms \(clock offset uncertainty\)/g)).toHaveLength(2);
    expect(html).toMatch(/SSE event latency<code>sse_event_latency<\/code><span class="clock-note">± 42 ms \(clock offset uncertainty\)<\/span>/);
    expect(html).toMatch(/<caption id="latency-clock">latency figures: ± 42 ms \(clock offset uncertainty\)<\/caption>/);
    expect(html).toContain('offset 2,500.2 ms from /api/time');
    // The chart titles get the note from the data block.
    expect(html).toContain('"clock":{"unknown":false,"note":"± 42 ms (clock offset uncertainty)"}');
  });

  it('says latency is unknown instead of showing figures when the target had no /api/time', () => {
    const html = render({ method: 'unknown', note: 'latency unknown (no /api/time on the target)', detail: 'GET /api/time answered 404' }, true);
    expect(tiles(html).match(/latency unknown \(no \/api\/time on the target\)/g)).toHaveLength(2);
    expect(tiles(html)).toMatch(/<div class="tile-value">unknown<\/div><div class="tile-label">SSE event latency p99/);
    expect(html).toMatch(/<tr class="latency-unknown"><th scope="row">SSE event latency/);
    expect(html).toContain('latency unknown (no /api/time on the target): GET /api/time answered 404.');
    expect(html).toContain('"clock":{"unknown":true');
  });

  it('keeps same-host runs as they were, with no uncertainty in the chart titles', () => {
    const html = render({ method: 'same-host', offsetMs: 0, uncertaintyMs: 0 });
    expect(tiles(html)).toContain('same host clock');
    expect(html).toContain('"clock":{"unknown":false,"note":""}');
  });
});
