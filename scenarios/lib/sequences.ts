/**
 * One client's sequence trackers, one per stream, kept across its attempts (or polls) so a replay
 * after a reconnect counts as duplicated, not as new: the same counting for every scenario.
 */
import { createSequenceTracker, type EventPayload, type SequenceTracker } from '../../src/core/event-payload.js';

/** What an event's `seq` says: a repeat, or how many events of its stream were lost just before it. */
export function observeSequence(
  trackers: Map<string, SequenceTracker>,
  payload: Pick<EventPayload, 'seq' | 'stream'>,
  /** `first-seen` for someone else's sequence (an `events:` mapping): it may start anywhere. */
  startAfter: number | 'first-seen' = 0,
): 'duplicate' | number {
  let tracker = trackers.get(payload.stream);
  if (tracker === undefined) {
    tracker = createSequenceTracker(startAfter);
    trackers.set(payload.stream, tracker);
  }
  const lostBefore = tracker.lost;
  return tracker.observe(payload.seq) === 'duplicate' ? 'duplicate' : tracker.lost - lostBefore;
}
