/**
 * The messages the harness publishes (a plan's `publish:`, issue 15) carry an id that says which
 * run sent them, their number and their intended send time: `ss<tag>-<seq>-<intendedAtMs>`. A
 * subscriber in any worker process finds it in an event's data and reads the publish-to-deliver
 * latency from it on the harness's one clock, with no message passed between processes and no
 * clock offset (publisher and subscribers share the machine's clock).
 *
 * Pure: k6 scenarios may import it.
 */

export interface PublishedMessage {
  seq: number;
  /** When the message was meant to be sent (open-model schedule), epoch ms on the harness clock. */
  intendedAtMs: number;
}

/** A message the target accepted (a 2xx answer), and when the answer came (epoch ms). */
export type AcceptedMessage = [seq: number, acceptedAtMs: number];

/** A message's first and last receipt among one worker's subscribers: `[seq, firstMs, lastMs]`. */
export type FanOutEntry = [seq: number, first: number, last: number];

/** A run's tag: lowercase letters and digits, so an id is one token in any body or URL. */
export function isPublishTag(tag: string): boolean {
  return /^[a-z0-9]{4,16}$/.test(tag);
}

export function formatMessageId(tag: string, message: PublishedMessage): string {
  return `ss${tag}-${message.seq}-${Math.round(message.intendedAtMs)}`;
}

/**
 * Every id of this run's messages in `data`, in order. A message's id can appear more than once in
 * one event (a body that repeats it): it is returned once.
 */
export function findMessages(data: string, tag: string): PublishedMessage[] {
  const prefix = `ss${tag}-`;
  let at = data.indexOf(prefix);
  if (at === -1) return [];
  const found: PublishedMessage[] = [];
  while (at !== -1) {
    const match = /^(\d{1,9})-(\d{10,15})/.exec(data.slice(at + prefix.length, at + prefix.length + 26));
    if (match) {
      const seq = Number(match[1]);
      if (!found.some((message) => message.seq === seq)) found.push({ seq, intendedAtMs: Number(match[2]) });
    }
    at = data.indexOf(prefix, at + prefix.length);
  }
  return found;
}

/** The body of message `seq`: `{{id}}`, `{{seq}}`, `{{sentAt}}` (intended epoch ms) and `{{user}}` filled in. */
export function renderPublishBody(template: string, tag: string, message: PublishedMessage, user: string): string {
  return template
    .replaceAll('{{id}}', formatMessageId(tag, message))
    .replaceAll('{{seq}}', String(message.seq))
    .replaceAll('{{sentAt}}', String(Math.round(message.intendedAtMs)))
    .replaceAll('{{user}}', user);
}
