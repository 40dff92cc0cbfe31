// `npm run bench parser`: the SSE parser's throughput on one core, in events per second.
//
// Two shapes of the same stream of small events (the reference server's `id:` + JSON `data:` lines,
// with a comment heartbeat now and then):
//   1. realistic 16 KiB chunks, as a socket read hands them over;
//   2. 7-byte chunks, the worst case of a stream trickling in (every CRLF and multi-byte character
//      gets cut somewhere).
// Each shape: one warm-up round, then ROUNDS timed rounds; the median is printed. When the
// `eventsource-parser` package (a dependency of `eventsource`) is installed, it parses the same
// chunks in the same process, fed the way `eventsource` feeds it (a streaming TextDecoder, then
// strings), and the ratio is printed. Size: PARSER_BENCH_EVENTS (default 200000) events per round.
import { performance } from 'node:perf_hooks';
import { createSseParser } from '../dist/core/sse-parser.js';

const EVENTS = Number(process.env.PARSER_BENCH_EVENTS ?? 200_000);
const ROUNDS = Number(process.env.PARSER_BENCH_ROUNDS ?? 7);
const HEARTBEAT_EVERY = 100;

function buildStream(count) {
  const parts = [];
  const sentAt = Date.UTC(2026, 0, 1);
  for (let seq = 1; seq <= count; seq++) {
    if (seq % HEARTBEAT_EVERY === 0) parts.push(': heartbeat\n\n');
    parts.push(`id: ${seq}\ndata: {"seq":${seq},"sentAt":${sentAt + seq * 1000},"stream":"u-${seq % 5000}"}\n\n`);
  }
  return new TextEncoder().encode(parts.join(''));
}

function chunk(bytes, size) {
  const chunks = [];
  for (let offset = 0; offset < bytes.length; offset += size) chunks.push(bytes.subarray(offset, offset + size));
  return chunks;
}

/** Each runner parses every chunk and returns the number of events it saw. */
const ours = (chunks) => {
  let events = 0;
  const parser = createSseParser({ onEvent: () => events++ });
  for (const piece of chunks) parser.push(piece);
  parser.end();
  return events;
};

/** The same chunks decoded to strings beforehand, as k6 hands a body over: the parser's text path alone. */
const decodeAll = (chunks) => {
  const decoder = new TextDecoder();
  return chunks.map((piece) => decoder.decode(piece, { stream: true }));
};

async function loadPeer() {
  try {
    const { createParser } = await import('eventsource-parser');
    return (chunks) => {
      let events = 0;
      const decoder = new TextDecoder();
      const parser = createParser({ onEvent: () => events++ });
      for (const piece of chunks) parser.feed(decoder.decode(piece, { stream: true }));
      return events;
    };
  } catch {
    return undefined;
  }
}

/**
 * Runs every runner once to warm up, then ROUNDS rounds in which each runner parses the chunks once,
 * in rotating order, so that a noisy neighbour on a shared machine slows all of them alike.
 * Returns each runner's median, min and max rate, and the median of the per-round ratios to the first.
 */
function measure(runners, chunks) {
  for (const run of runners) {
    globalThis.gc?.();
    const events = run(chunks);
    if (events !== EVENTS) throw new Error(`warm-up saw ${events} events, expected ${EVENTS}`);
  }
  const rates = runners.map(() => []);
  const ratios = runners.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const roundRates = [];
    for (let i = 0; i < runners.length; i++) {
      const index = (i + round) % runners.length;
      globalThis.gc?.();
      const start = performance.now();
      const events = runners[index](chunks);
      const elapsedMs = performance.now() - start;
      if (events !== EVENTS) throw new Error(`round ${round} saw ${events} events, expected ${EVENTS}`);
      roundRates[index] = events / (elapsedMs / 1000);
    }
    roundRates.forEach((rate, index) => {
      rates[index].push(rate);
      ratios[index].push(roundRates[0] / rate);
    });
  }
  return rates.map((list, index) => ({ ...summarize(list), ratio: summarize(ratios[index]).median }));
}

function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
}

const format = (rate) => `${Math.round(rate).toLocaleString('en-US')} ev/s`;

const stream = buildStream(EVENTS);
const peer = await loadPeer();
console.log(
  `parser: ${EVENTS.toLocaleString('en-US')} events (${(stream.length / 2 ** 20).toFixed(1)} MiB, ` +
    `${Math.round(stream.length / EVENTS)} B/event), median of ${ROUNDS} rounds after a warm-up, one core`,
);
for (const [label, size] of [
  ['16 KiB chunks', 16 * 1024],
  ['7-byte chunks', 7],
]) {
  const chunks = chunk(stream, size);
  const [mine, theirs] = measure(peer ? [ours, peer] : [ours], chunks);
  let line = `  ${label.padEnd(14)} streamsoak ${format(mine.median).padStart(16)} (range ${format(mine.min)} – ${format(mine.max)})`;
  if (theirs) {
    line += `   eventsource-parser ${format(theirs.median).padStart(16)}   streamsoak/peer ×${theirs.ratio.toFixed(2)} (median of per-round ratios)`;
  }
  console.log(line);
  if (size > 1024) {
    const [text] = measure([ours], decodeAll(chunks));
    console.log(`  ${'  as strings'.padEnd(14)} streamsoak ${format(text.median).padStart(16)} (k6's input: text already decoded, no TextDecoder in the timing)`);
  }
}
if (!peer) console.log('  (eventsource-parser not installed: no peer comparison)');
