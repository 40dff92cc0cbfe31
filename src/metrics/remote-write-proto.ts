/**
 * Prometheus remote-write 1.0 wire format: the protobuf messages, defined in code so no .proto file
 * ships with streamsoak, and the snappy block framing the receiver expects.
 *
 * From the remote-write 1.0 spec (prometheus.io/docs/specs/remote_write_spec/): "The remote write
 * request body MUST be a protobuf-encoded WriteRequest, compressed with Snappy (block format, not
 * the framed format)". And: "Label names MUST be sorted in lexicographical order" and "the samples
 * of a time series MUST be in timestamp order".
 */
import { createRequire } from 'node:module';
import protobuf from 'protobufjs';

export interface RemoteWriteLabel {
  name: string;
  value: string;
}

export interface RemoteWriteSample {
  value: number;
  /** Epoch milliseconds (int64 on the wire). */
  timestamp: number;
}

export interface RemoteWriteSeries {
  labels: RemoteWriteLabel[];
  samples: RemoteWriteSample[];
}

// prometheus/prompb/types.proto and remote.proto, only the fields 1.0 senders set.
const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: {
            timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 },
          },
        },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: {
          fields: {
            name: { type: 'string', id: 1 },
            value: { type: 'string', id: 2 },
          },
        },
        Sample: {
          fields: {
            value: { type: 'double', id: 1 },
            timestamp: { type: 'int64', id: 2 },
          },
        },
      },
    },
  },
});

const writeRequestType = root.lookupType('prometheus.WriteRequest');

// snappyjs is CommonJS without type declarations: load it through require and type the one
// function used here.
const snappy = createRequire(import.meta.url)('snappyjs') as {
  // Both return a new array over a fresh ArrayBuffer (snappy_compressor.js, snappy_decompressor.js).
  compress(input: Uint8Array): Uint8Array<ArrayBuffer>;
  uncompress(input: Uint8Array): Uint8Array<ArrayBuffer>;
};

/** Sorts each series' labels by name, as the spec requires. */
function sortLabels(series: readonly RemoteWriteSeries[]): RemoteWriteSeries[] {
  return series.map((entry) => ({
    labels: [...entry.labels].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    samples: entry.samples,
  }));
}

/** Encodes a WriteRequest as protobuf, without compression. */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  return writeRequestType.encode(writeRequestType.fromObject({ timeseries: sortLabels(series) })).finish();
}

/** Decodes an uncompressed WriteRequest (tests and debugging). */
export function decodeWriteRequest(bytes: Uint8Array): RemoteWriteSeries[] {
  const message = writeRequestType.decode(bytes);
  const object = writeRequestType.toObject(message, { longs: Number, defaults: true }) as {
    timeseries?: RemoteWriteSeries[];
  };
  return object.timeseries ?? [];
}

/** The request body: protobuf WriteRequest in snappy block format. */
export function formatRemoteWriteBody(series: readonly RemoteWriteSeries[]): Uint8Array<ArrayBuffer> {
  return snappy.compress(encodeWriteRequest(series));
}

/** The inverse of formatRemoteWriteBody (tests and the fake receiver in tests). */
export function parseRemoteWriteBody(body: Uint8Array): RemoteWriteSeries[] {
  return decodeWriteRequest(snappy.uncompress(body));
}
