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
export { PLATFORM_FACTS, platformFactsSchema, platformLimitSchema, findPlatformFacts, findLimit } from './core/platform-facts.js';
export type { PlatformFacts, PlatformLimit, LimitKind } from './core/platform-facts.js';
export { parseDurationMs, formatDurationMs } from './core/duration.js';
export { signToken } from './core/jwt.js';
export type { SignTokenOptions, TokenClaims } from './core/jwt.js';
export { StreamsoakError, InvalidConfigError, UsageError, MissingToolError, InvalidResultsError, HarnessError } from './core/errors.js';
export type { StreamsoakErrorCode } from './core/errors.js';

// --- metrics: the results folder ---
export {
  connectionRecordSchema,
  summarySchema,
  timelineSchema,
  RESULTS_SCHEMA_VERSION,
  RESULT_FILES,
} from './results/schema.js';
export type { ConnectionRecord, Summary, Timeline, TimelinePoint, Finding } from './results/schema.js';

// --- metrics: Prometheus remote write (live metrics; dashboards are written by `streamsoak dashboards`) ---
export { createRemoteWriteSink, DEFAULT_PUSH_INTERVAL_MS } from './metrics/remote-write.js';
export type { RemoteWriteSink, RemoteWriteSinkOptions } from './metrics/remote-write.js';
export { snapshotToSeries } from './metrics/remote-write-series.js';
export { formatRemoteWriteBody, parseRemoteWriteBody } from './metrics/remote-write-proto.js';
export type { RemoteWriteSeries, RemoteWriteLabel, RemoteWriteSample } from './metrics/remote-write-proto.js';

// --- server: the reference server ---
export {
  createReferenceApp,
  startReferenceServer,
  startClusteredServer,
  referenceServerOptionsSchema,
  parseReferenceServerOptions,
  SERVER_METRIC_NAMES,
  parseTickId,
  formatTickId,
  createPlatformHandler,
  platformServerOptions,
  maxDurationSecondsOf,
} from './server/index.js';
export type {
  ReferenceApp,
  ReferenceAppHooks,
  ReferenceServerOptions,
  ResolvedServerOptions,
  RunningServer,
  ClusteredServerOptions,
  ServerStats,
  HostingAdapter,
  PlatformEnv,
  PlatformHandler,
} from './server/index.js';

// --- platform: the hosting-plan simulator ---
export {
  startPlatformProxy,
  resolveProfiles,
  resolveProfileNames,
  composeProfiles,
  scaleProfile,
  loadProfileFile,
  parseProfileFile,
  startNginx,
  findNginx,
  renderNginxTemplate,
  networkFaultsSchema,
  parseNetworkFaults,
} from './platform/index.js';
export type {
  PlatformProxy,
  PlatformProxyOptions,
  PlatformProxyStats,
  NetworkFaults,
  NetworkFaultsInput,
  NginxOptions,
  NginxTemplate,
  RunningNginx,
} from './platform/index.js';

// --- engine: the Node load engine ---
export {
  runPlan,
  createRunId,
  planSchema,
  parsePlan,
  loadPlanFile,
  maxSseClients,
  MAX_RUN_DURATION_MS,
} from './engine/index.js';
export type { Plan, PlanInput, ProgressUpdate, RunOutcome, RunPlanOptions, RunObserver, RunWindow, RunTotals } from './engine/index.js';
export { estimateClockOffset, measureClockOffset } from './engine/clock-offset.js';
export type { ClockEstimate, ClockMeasurement, ClockSample, MeasureClockOptions } from './engine/clock-offset.js';
export { formatClockNote, isLatencyKnown, LATENCY_UNKNOWN_NOTE } from './results/clock-note.js';
export { createHistogram, encodeHistogram, mergeEncodedHistogram, trendStats } from './metrics/histogram.js';
export { createRunAggregate } from './metrics/run-aggregate.js';
export type { RunAggregate } from './metrics/run-aggregate.js';
export { buildSummaryMetrics, evaluateThresholds } from './metrics/summary-metrics.js';
export { parseThresholdExpression, parseThresholdMetricKey, evaluateThreshold } from './core/thresholds.js';
export type { ThresholdExpression, ThresholdInput, ThresholdOperator } from './core/thresholds.js';

// --- report: HTML report, JUnit, compare, doctor, plan ---
export { renderHtmlReport, writeHtmlReport } from './report/html/html-report.js';
export type { HtmlReportInput } from './report/html/html-report.js';
export { formatJunit, writeJunit } from './report/junit.js';
export { compareRuns, comparisonOutcome, parseRegressionLimits, defaultRegressionLimits, formatComparison, metricDirection, DEFAULT_REGRESSION_LIMITS } from './report/compare.js';
export type { Comparison, ComparisonOutcome, ComparisonRow, Direction, RegressionLimit, RegressionLimits } from './report/compare.js';
export { planCapacity, formatCapacityPlan } from './report/capacity-plan.js';
export type { CapacityInput, CapacityPlan, MeasuredRun, ServiceVerdict, TierVerdict } from './report/capacity-plan.js';
export { loadManagedServices, managedServicesCatalogSchema } from './report/managed-services.js';
export type { ManagedServicesCatalog, ManagedService, ManagedTier } from './report/managed-services.js';
export { readSummary, readTimeline, readConnectionRecords } from './results/reader.js';
export { diagnose } from './diagnosis/diagnose.js';
export type { DiagnoseInput } from './diagnosis/diagnose.js';
export { runDoctor, formatDoctorReport, resolveDoctorUrls, DEFAULT_HOLD_MS } from './doctor/doctor.js';
export type { DoctorOptions, DoctorResult, DoctorCheck, DoctorStep, CheckStatus, CheckId, DecisionStep } from './doctor/doctor.js';

// --- k6: scenario bundles and the k6 runner wrapper ---
export { buildScenarios, SCENARIO_NAMES, isScenarioName, K6_ESBUILD_TARGET } from './k6/build.js';
export type { BuildScenariosOptions, BuiltScenario, ScenarioName } from './k6/build.js';
export { K6_MODULES, K6_BUILTIN_MODULES, K6_EXTENSION_MODULES, isK6Module, listBundleImports } from './k6/k6-modules.js';
export { buildK6Invocation, spawnK6, findExecutable, K6_INSTALL_HELP, DEFAULT_REMOTE_WRITE_URL } from './k6/runner.js';
export type { K6RunOptions, K6Invocation, SpawnK6Options } from './k6/runner.js';
