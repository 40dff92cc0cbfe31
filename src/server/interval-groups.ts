/**
 * Shared timers: one timer per interval value, firing for every member of that interval. 5,000 held
 * streams at the same tick rate cost one timer, not 5,000 (memory per held connection matters).
 *
 * Each fire reports its *scheduled* time, not the time the callback ran, so a late timer shows up as
 * latency downstream instead of hiding (wrk2's "stamp the intended send time"). A timer that falls
 * more than one interval behind skips the missed slots rather than bursting to catch up.
 *
 * Uses only `setTimeout`/`clearTimeout` (every runtime has them); `unref()` where the runtime has it,
 * so an idle server's timers never hold a Node process open on their own.
 */

export interface IntervalGroups<T> {
  add(intervalMs: number, member: T): void;
  remove(intervalMs: number, member: T): void;
  close(): void;
}

export type GroupFire<T> = (members: ReadonlySet<T>, scheduledAt: number, intervalMs: number) => void;

interface Group<T> {
  members: Set<T>;
  nextAt: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export function createIntervalGroups<T>(fire: GroupFire<T>, now: () => number = Date.now): IntervalGroups<T> {
  const groups = new Map<number, Group<T>>();
  let closed = false;

  function arm(intervalMs: number, group: Group<T>): void {
    const delay = Math.max(0, group.nextAt - now());
    group.timer = setTimeout(() => onTimer(intervalMs, group), delay);
    unref(group.timer);
  }

  function onTimer(intervalMs: number, group: Group<T>): void {
    group.timer = undefined;
    if (closed || group.members.size === 0) return;
    const scheduledAt = group.nextAt;
    group.nextAt += intervalMs;
    const current = now();
    if (group.nextAt <= current) group.nextAt = current + intervalMs;
    // Arm first: a member that throws must not stop the group's clock.
    arm(intervalMs, group);
    fire(group.members, scheduledAt, intervalMs);
  }

  return {
    add(intervalMs, member) {
      if (closed) return;
      let group = groups.get(intervalMs);
      if (!group) {
        group = { members: new Set(), nextAt: now() + intervalMs, timer: undefined };
        groups.set(intervalMs, group);
      }
      group.members.add(member);
      if (group.timer === undefined) {
        if (group.nextAt < now()) group.nextAt = now() + intervalMs;
        arm(intervalMs, group);
      }
    },
    remove(intervalMs, member) {
      const group = groups.get(intervalMs);
      if (!group) return;
      group.members.delete(member);
      if (group.members.size === 0) {
        if (group.timer !== undefined) clearTimeout(group.timer);
        groups.delete(intervalMs);
      }
    },
    close() {
      closed = true;
      for (const group of groups.values()) if (group.timer !== undefined) clearTimeout(group.timer);
      groups.clear();
    },
  };
}

/** `unref()` a timer where the runtime supports it (Node, Bun, Deno); a no-op elsewhere. */
export function unref(timer: unknown): void {
  if (typeof timer === 'object' && timer !== null && 'unref' in timer && typeof timer.unref === 'function') timer.unref();
}
