/**
 * A seeded pseudo-random source, so a fault pattern or a fixture can be repeated exactly. Pure: no
 * runtime API, like the rest of core/.
 */

/** A small seeded PRNG (mulberry32): uniform in [0, 1). */
export function createRandom(seed: number = Math.floor(Math.random() * 2 ** 32)): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
