/**
 * Streams the target ended, read for the guide's Issue 1: cut at one age (a function time limit),
 * cut after one silence (an idle timeout), or dropped at no limit at all.
 */
import { reasonSide, type Reason } from '../core/reasons.js';
import type { ConnectionRecord, Finding } from '../results/schema.js';
import { densestCluster, maxOf, median, minOf, type Cluster } from './cluster.js';
import { MIN_PATTERN, countBy, formatCounts, type Context } from './context.js';
import {
  createIdleTimeoutFinding,
  createTimeLimitFinding,
  formatSeconds,
  formatSecondsSpread,
  limitToleranceMs,
  matchKnownLimit,
  percent,
  scaleNote,
  type KnownLimit,
} from './signatures.js';

/**
 * Streams the target ended (not the plan, not the harness). `idle_timeout` is the engine's own end
 * of a silent stream (the plan's `timeouts.idleMs`): the silence is the target's, the cut is ours,
 * so it is left to `diagnoseSilentStreams`. `protocol_error` is ours too, at a byte count: a stream
 * of garbage at a steady rate would end at one age and read as a time limit, so it has its own finding.
 */
function targetDrops(records: readonly ConnectionRecord[]): ConnectionRecord[] {
  return records.filter(
    (r) =>
      r.outcome === 'dropped' &&
      r.openedAt !== undefined &&
      reasonSide(r.reason as Reason) === 'target' &&
      r.reason !== 'idle_timeout' &&
      r.reason !== 'protocol_error',
  );
}

export function diagnoseSilentStreams({ records }: Context): Finding[] {
  const silent = records.filter((r) => r.reason === 'idle_timeout' && r.openedAt !== undefined);
  if (silent.length === 0) return [];
  const silences = silent.map((r) => r.endedAt - (r.lastByteAt ?? (r.openedAt as number)));
  return [
    {
      kind: 'silent_streams',
      severity: 'warning',
      title: `${silent.length} streams went silent until the harness's own idle timeout ended them`,
      evidence: `${silent.length} of ${records.length} streams received nothing — not even a heartbeat — for ${formatSeconds(median(silences) ?? 0)} (median), the plan's timeouts.idleMs`,
      remedy: 'a stream that sends nothing is cut by proxies sooner or later: send an SSE comment heartbeat (`: ping`) every 15 s or so',
    },
  ];
}

export function diagnoseDrops(context: Context): Finding[] {
  const drops = targetDrops(context.records);
  if (drops.length < MIN_PATTERN) return [];
  const opened = context.records.filter((r) => r.openedAt !== undefined);
  // The limit's clock starts when the request reaches the platform: measure from the request.
  const ages = drops.map((r) => r.endedAt - r.startedAt);
  const silences = drops.map((r) => r.endedAt - (r.lastByteAt ?? r.openedAt ?? r.startedAt));

  // A drop is quiet when the stream had gone silent for longer than its usual gap between bytes
  // (or sent nothing at all after it opened): only quiet drops can show an idle timeout.
  const quiet = drops.map((r, i) => {
    const bytes = r.events + r.heartbeats;
    if (bytes === 0) return true;
    const usualGapMs = ((r.lastByteAt ?? (r.openedAt as number)) - (r.openedAt as number)) / bytes;
    return (silences[i] as number) >= 1.5 * usualGapMs;
  });
  const ageCluster = densestCluster(ages, limitToleranceMs);
  const quietIndices = drops.flatMap((_, i) => (quiet[i] ? [i] : []));
  const quietCluster = densestCluster(
    quietIndices.map((i) => silences[i] as number),
    limitToleranceMs,
  );
  // Members as indices into `drops`, like the age cluster's.
  const silenceCluster = quietCluster && { ...quietCluster, members: quietCluster.members.map((j) => quietIndices[j] as number) };
  // Below this a silence is just the gap between events on a busy stream.
  const minimumIdleMs = 250;

  const ageIsPattern = ageCluster !== undefined && ageCluster.count >= Math.max(MIN_PATTERN, drops.length / 2);
  const silenceIsPattern =
    silenceCluster !== undefined && silenceCluster.count >= Math.max(MIN_PATTERN, drops.length / 2) && silenceCluster.centerMs >= minimumIdleMs;

  let ageExplained = false;
  if (ageIsPattern && ageCluster) {
    const limitMs = ageCluster.centerMs;
    // Streams that outlived the supposed limit (however they ended) contradict it.
    const outlived = opened.filter((r) => r.endedAt - r.startedAt > limitMs + 2 * limitToleranceMs(limitMs)).length;
    const silentToTheEnd = silenceCluster !== undefined && silenceIsPattern && silenceCluster.centerMs >= 0.8 * limitMs;
    const timeLimit = matchKnownLimit('max_duration', limitMs, context.timeScale);
    const idleLimit = matchKnownLimit('idle_timeout', limitMs, context.timeScale);
    // A stream cut at a fixed age *and* silent since it opened fits both a time limit and an idle
    // timeout; a known time limit wins, then a known idle timeout, then the silence (idle).
    const isIdle = silentToTheEnd && (timeLimit === undefined || idleLimit !== undefined);
    ageExplained = !isIdle;
    if (!isIdle && outlived < Math.max(1, ageCluster.count * 0.1)) {
      return [timeLimitFinding(ageCluster.count, drops.length + outlived, limitMs, ageCluster.spreadMs, timeLimit, context.timeScale)];
    }
  }
  if (silenceIsPattern && silenceCluster && !ageExplained) {
    return [idleFinding(context, drops, ages, silenceCluster)];
  }
  // Drops that match no limit: not a platform's signature, still worth a look.
  const reasons = countBy(drops, (r) => r.reason);
  const lifetimes = drops.map((r) => r.endedAt - (r.openedAt as number));
  return [
    {
      kind: 'drops',
      severity: 'problem',
      title: `The target ended ${drops.length} streams before the plan did, at no platform limit`,
      evidence: `${drops.length} of ${opened.length} open streams ended on the target's side (${formatCounts(reasons)}), after ${formatSeconds(minOf(lifetimes))} to ${formatSeconds(maxOf(lifetimes))}`,
      remedy:
        'look for the cause in the server and proxy logs at those times (crashes, deploys, a slow consumer cut, a load balancer); meanwhile make sure clients reconnect with `Last-Event-ID` and the server replays what they missed',
    },
  ];
}

function idleFinding(context: Context, drops: readonly ConnectionRecord[], ages: readonly number[], silenceCluster: Cluster): Finding {
  const silenceMs = silenceCluster.centerMs;
  const lifetimes = silenceCluster.members.map((i) => ages[i] as number);
  return createIdleTimeoutFinding({
    measuredMs: silenceMs,
    timeScale: context.timeScale,
    match: matchKnownLimit('idle_timeout', silenceMs, context.timeScale),
    evidence:
      `${percent(silenceCluster.count, drops.length)} of the ${drops.length} streams the target ended (${silenceCluster.count}) ended ${formatSecondsSpread(silenceMs, silenceCluster.spreadMs)} after the last byte they received, ` +
      `whatever their age (${formatSeconds(minOf(lifetimes))} to ${formatSeconds(maxOf(lifetimes))})` +
      scaleNote(context.timeScale, silenceMs),
  });
}

function timeLimitFinding(count: number, reached: number, limitMs: number, spreadMs: number, match: KnownLimit | undefined, timeScale: number): Finding {
  return createTimeLimitFinding({
    measuredMs: limitMs,
    timeScale,
    match,
    evidence: `${percent(count, reached)} of the streams that reached that age (${count} of ${reached}) ended ${formatSecondsSpread(limitMs, spreadMs)} after they were requested${scaleNote(timeScale, limitMs)}`,
  });
}
