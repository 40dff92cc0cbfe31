/**
 * Figures written to a results folder keep three decimals: a microsecond for durations in ms, and no
 * more digits than the measurement has for rates and percentages.
 */
export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
