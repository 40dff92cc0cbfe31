/**
 * The managed real-time services' tiers, as data (`data/managed-services.json`): exactly what the
 * troubleshooting guide lists, with the date they were checked. A limit the guide does not list is
 * `null` and is never treated as unlimited.
 *
 * The file sits at the package root, outside src/, because the dist/ build is tsc only: read
 * relative to this module, it resolves the same from src/report/ and dist/report/.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { InvalidConfigError } from '../core/errors.js';
import { parseOrThrow } from '../core/validate.js';

const limit = z.number().int().positive().nullable();

export const managedTierSchema = z
  .object({
    name: z.string().min(1),
    priceUsdPerMonth: z.number().nonnegative(),
    maxConcurrentConnections: limit,
    maxMessagesPerDay: limit,
    maxMessagesPerMonth: limit,
  })
  .strict();

export const managedServiceSchema = z
  .object({
    name: z.string().min(1),
    url: z.url(),
    tiers: z.array(managedTierSchema).min(1),
  })
  .strict();

export const hostingOptionSchema = z
  .object({
    name: z.string().min(1),
    priceUsdPerMonth: z.number().nonnegative().nullable(),
    /** The platform ends a stream after this long (null: no limit). */
    maxConnectionSeconds: z.number().positive().nullable(),
    note: z.string(),
  })
  .strict();

export const managedServicesCatalogSchema = z
  .object({
    source: z.string().min(1),
    checkedAt: z.iso.date(),
    note: z.string().min(1),
    services: z.array(managedServiceSchema).min(1),
    hosting: z.array(hostingOptionSchema),
  })
  .strict();

export type ManagedTier = z.infer<typeof managedTierSchema>;
export type ManagedService = z.infer<typeof managedServiceSchema>;
export type HostingOption = z.infer<typeof hostingOptionSchema>;
export type ManagedServicesCatalog = z.infer<typeof managedServicesCatalogSchema>;

export const MANAGED_SERVICES_FILE = new URL('../../data/managed-services.json', import.meta.url);

let cached: ManagedServicesCatalog | undefined;

/** The catalog shipped with streamsoak, or one from `file` (a custom or updated price list). */
export function loadManagedServices(file: URL | string = MANAGED_SERVICES_FILE): ManagedServicesCatalog {
  const isDefault = file === MANAGED_SERVICES_FILE;
  if (isDefault && cached) return cached;
  const what = `managed services catalog ${String(file)}`;
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    // A --services file that is missing or not JSON is bad input (exit 2), not a crash.
    throw new InvalidConfigError(what, [`cannot be read as JSON: ${(error as Error).message}`], { cause: error });
  }
  const catalog = parseOrThrow(managedServicesCatalogSchema, value, what);
  if (isDefault) cached = catalog;
  return catalog;
}
