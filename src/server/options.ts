/**
 * The reference server's options: one zod schema, validated once at the boundary (STYLE.md). The CLI
 * (`streamsoak serve`), the Node runner, the cluster workers and the hosting adapters all go through
 * it, so an invalid option is reported the same way everywhere: exit 2 naming the option.
 */
import { z } from 'zod';
import { parseOrThrow } from '../core/validate.js';
import { MAX_TIMER_MS } from '../core/duration.js';
import { MAX_TICK_INTERVAL_MS, MIN_TICK_INTERVAL_MS } from './tick-ids.js';

const ms = z.number().int().nonnegative();
/** Timer delays: at most what setTimeout keeps. */
const timerMs = ms.max(MAX_TIMER_MS);

export const referenceServerOptionsSchema = z
  .object({
    /** 0 asks the OS for a free port (tests). */
    port: z.number().int().min(0).max(65_535).default(0),
    host: z.string().min(1).default('127.0.0.1'),
    /** HS256 secret the tokens are verified with (the CLI reads JWT_ACCESS_SECRET). */
    jwtSecret: z.string().min(1, 'required: the HS256 secret (JWT_ACCESS_SECRET)'),
    /**
     * Origins granted CORS with credentials (`https://app.example.com`). `*` grants every other
     * origin a literal `*` without credentials: pages anywhere may read token-authenticated responses,
     * but never a response to a request that carried the user's cookie (cors.ts).
     */
    corsOrigins: z.array(z.string().min(1)).default([]),
    /** Comment heartbeat every this many ms; 0 disables heartbeats. */
    heartbeatMs: timerMs.default(15_000),
    /** Sent as `retry:` at the start of every stream: the client's reconnection delay. */
    retryMs: ms.default(3_000),
    mode: z.enum(['tick', 'bus']).default('tick'),
    tickIntervalMs: z.number().int().min(MIN_TICK_INTERVAL_MS).max(MAX_TICK_INTERVAL_MS).default(1_000),
    /** Bus mode's built-in publisher: one event per active user channel every interval; 0 = only POST /emit. */
    publishIntervalMs: timerMs.default(1_000),
    /** Events kept per user channel (bus) or replayed at most per resumed tick stream. */
    replayBufferSize: z.number().int().min(0).max(100_000).default(100),
    /** Unsent bytes queued for one stream past which its client is a slow consumer and is disconnected. */
    maxBufferedBytes: z.number().int().min(1_024).default(512 * 1_024),
    testStreamMessages: z.number().int().min(1).max(100_000).default(30),
    testStreamIntervalMs: z.number().int().min(1).max(60_000).default(1_000),
    /** Shifts the server's clock (sentAt, /api/time) to simulate a remote machine's clock (issue 8). */
    clockOffsetMs: z.number().int().default(0),
    /** A label reported by /api/health (e.g. the platform profile the server runs behind). */
    profile: z.string().min(1).default('local'),
    maxBodyBytes: z.number().int().min(64).max(64 * 1_024 * 1_024).default(64 * 1_024),
    /** listen(2) backlog: bursts of thousands of connects must not be refused (Linux caps it at somaxconn). */
    listenBacklog: z.number().int().min(1).max(65_535).default(8_192),
    /**
     * Open SSE responses past which a new stream is refused with 503 and Retry-After (per process:
     * with `--workers N` the server holds N times this). 0 = no cap. Plain requests (health, poll,
     * emit) are not counted, so the server still answers them when full.
     */
    maxConnections: z.number().int().min(0).max(1_000_000).default(10_000),
    /**
     * Node runner: a client must send its whole request head within this time (408 otherwise), so
     * a client trickling headers a byte at a time (slowloris) holds its socket for this long at most.
     */
    headersTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    /**
     * Node runner: the whole request, body included, within this time; 0 = no limit. It covers the
     * request only: a stream's response may last as long as it likes.
     */
    requestTimeoutMs: z.number().int().min(0).max(3_600_000).default(30_000),
  })
  .strict()
  .refine((options) => options.requestTimeoutMs === 0 || options.requestTimeoutMs >= options.headersTimeoutMs, {
    path: ['requestTimeoutMs'],
    message: 'must be 0 (no limit) or at least headersTimeoutMs: the request head is part of the request',
  });

export type ReferenceServerOptions = z.input<typeof referenceServerOptionsSchema>;
export type ResolvedServerOptions = z.output<typeof referenceServerOptionsSchema>;

/** Throws InvalidConfigError naming every bad option. */
export function parseReferenceServerOptions(options: ReferenceServerOptions): ResolvedServerOptions {
  return parseOrThrow(referenceServerOptionsSchema, options, 'server options');
}
