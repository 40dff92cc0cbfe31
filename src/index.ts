/**
 * streamsoak's public API. Each section belongs to one part of the tree (DESIGN.md, "Layout").
 */

// --- core: SSE parsing ---
export { createSseParser } from './core/sse-parser.js';
export type { SseEvent, SseParser, SseParserHandlers, SseParserOptions } from './core/sse-parser.js';

// --- core: contracts shared by every actor ---
export {
  CONNECT_FAILURE_REASONS,
  DROP_REASONS,
  reasonSide,
  reasonForStatus,
  statusClass,
  isConnectFailureReason,
  isDropReason,
} from './core/reasons.js';
export type { ConnectFailureReason, DropReason, Reason, ReasonSide, StatusClass } from './core/reasons.js';
export { COUNTERS, GAUGES, TRENDS, METRIC_NAMES, METRIC_TYPES, promSeriesName } from './core/metric-names.js';
export type { MetricName, CounterName, GaugeName, TrendName } from './core/metric-names.js';
export { parseEventPayload, formatEventPayload, isEventPayload, createSequenceTracker } from './core/event-payload.js';
export type { EventPayload, SequenceTracker } from './core/event-payload.js';
export { platformProfileSchema, BUILT_IN_PROFILES } from './core/platform-profile.js';
export type { PlatformProfile, PlatformProfileInput } from './core/platform-profile.js';
export { parseDurationMs, formatDurationMs } from './core/duration.js';
export { signToken } from './core/jwt.js';
export type { SignTokenOptions, TokenClaims } from './core/jwt.js';
export { StreamsoakError, InvalidConfigError, UsageError, MissingToolError } from './core/errors.js';
export type { StreamsoakErrorCode } from './core/errors.js';

// --- metrics: the results folder ---
export {
  connectionRecordSchema,
  summarySchema,
  timelineSchema,
  RESULTS_SCHEMA_VERSION,
  RESULT_FILES,
} from './metrics/results-schema.js';
export type { ConnectionRecord, Summary, Timeline, TimelinePoint, Finding } from './metrics/results-schema.js';

// --- server: the reference server ---

// --- platform: the hosting-plan simulator ---

// --- engine: the Node load engine ---

// --- report: HTML report, JUnit, compare, doctor, plan ---
