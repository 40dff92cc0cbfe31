/** Number formatting shared by the HTML report and the terminal tables (`compare`, `plan`). */

export function formatNumber(value: number | undefined | null, digits = 0): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatMs(value: number | undefined | null): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '—';
  if (value >= 10_000) return `${formatNumber(value / 1000, 1)} s`;
  return `${formatNumber(value, value < 10 ? 2 : value < 100 ? 1 : 0)} ms`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${formatNumber(value, unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatPercent(fraction: number | undefined | null, digits = 1): string {
  if (fraction === undefined || fraction === null) return '—';
  if (!Number.isFinite(fraction)) return fraction > 0 ? '+∞ %' : '−∞ %';
  const sign = fraction > 0 ? '+' : fraction < 0 ? '−' : '';
  return `${sign}${formatNumber(Math.abs(fraction) * 100, digits)} %`;
}

export function formatUsd(amount: number): string {
  return `$${formatNumber(amount, 2)}`;
}

/** A plain-text table: columns padded to their widest cell; `align` 'r' right-aligns numbers. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align: readonly ('l' | 'r')[] = []): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (align[column] === 'r' ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '─'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
