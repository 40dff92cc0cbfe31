import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest, formatRemoteWriteBody, parseRemoteWriteBody } from '../../../src/metrics/remote-write-proto.js';

describe('remote-write wire format', () => {
  it('round-trips any series through protobuf and snappy, with labels sorted by name', () => {
    const label = fc.record({ name: fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,20}$/), value: fc.string({ maxLength: 30 }) });
    const sample = fc.record({ value: fc.double({ noNaN: true }), timestamp: fc.integer({ min: 0, max: 4_102_444_800_000 }) });
    fc.assert(
      fc.property(fc.array(fc.record({ labels: fc.uniqueArray(label, { selector: (l) => l.name, maxLength: 6 }), samples: fc.array(sample, { maxLength: 5 }) }), { maxLength: 8 }), (series) => {
        const decoded = parseRemoteWriteBody(formatRemoteWriteBody(series));
        expect(decoded).toHaveLength(series.length);
        decoded.forEach((entry, index) => {
          const original = series[index]!;
          const sorted = [...original.labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          expect(entry.labels).toEqual(sorted);
          expect(entry.samples.map((s) => [Object.is(s.value, -0) ? 0 : s.value, s.timestamp])).toEqual(original.samples.map((s) => [Object.is(s.value, -0) ? 0 : s.value, s.timestamp]));
        });
      }),
    );
  });

  it('encodes the field numbers of prompb: TimeSeries = 1, Label = 1, Sample value (double) = 1, timestamp (int64) = 2', () => {
    const bytes = encodeWriteRequest([{ labels: [{ name: 'a', value: 'b' }], samples: [{ value: 1, timestamp: 2 }] }]);
    // WriteRequest.timeseries: field 1, wire type 2 (length-delimited) -> tag 0x0a.
    expect(bytes[0]).toBe(0x0a);
    const series = bytes.subarray(2);
    // TimeSeries.labels: field 1, length-delimited; Label.name field 1 "a", Label.value field 2 "b".
    expect([...series.subarray(0, 8)]).toEqual([0x0a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62]);
    // TimeSeries.samples: field 2, length-delimited; Sample.value field 1 fixed64 (tag 0x09), timestamp field 2 varint (0x10).
    const sampleBytes = series.subarray(8);
    expect(sampleBytes[0]).toBe(0x12);
    expect(sampleBytes[2]).toBe(0x09);
    const littleEndianOne = new DataView(new ArrayBuffer(8));
    littleEndianOne.setFloat64(0, 1, true);
    expect([...sampleBytes.subarray(3, 11)]).toEqual([...new Uint8Array(littleEndianOne.buffer)]);
    expect([...sampleBytes.subarray(11)]).toEqual([0x10, 0x02]);
  });
});
