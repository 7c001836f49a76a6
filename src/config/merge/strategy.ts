/**
 * The one declared merge table: how each top-level ServiceSettings field combines across layers.
 * Everything else in the merge is generic over this table (no field-by-field code), so adding a
 * setting is one row here.
 */
import type { ServiceSettings } from '../types.ts';

/**
 * - `replace`: the field is one leaf; a higher layer replaces it whole (lists included).
 * - `deep`: nested objects merge field by field, recursively; arrays and scalars inside are leaves.
 * - `keyed`: a map merged by key; each entry (e.g. one subset's selector) is replaced whole.
 */
export type MergeStrategy = 'replace' | 'deep' | 'keyed';

/** Strategy per ServiceSettings field. `satisfies` makes a new field without a row a type error. */
export const MERGE_STRATEGY = {
  protocol: 'replace',
  timeout: 'replace',
  routes: 'replace',
  dependencies: 'replace',
  subsets: 'keyed',
  retries: 'deep',
  fault: 'deep',
  mirror: 'deep',
  headers: 'deep',
  loadBalancer: 'deep',
  connectionPool: 'deep',
  outlierDetection: 'deep',
  rateLimit: 'deep',
  mtls: 'deep',
} as const satisfies { readonly [K in keyof Required<ServiceSettings>]: MergeStrategy };

export type SettingsField = keyof typeof MERGE_STRATEGY;

/** Fields in a fixed order (the table's), so walks are deterministic. */
export const SETTINGS_FIELDS = Object.keys(MERGE_STRATEGY) as readonly SettingsField[];

/** Values every service gets unless a layer sets them (the `builtin` layer). */
export const BUILTIN_SETTINGS: ServiceSettings = {
  loadBalancer: { policy: 'round_robin' },
  // Plaintext unless a layer asks for mTLS, so meshes without the CA keep working.
  mtls: { mode: 'DISABLE' },
};

/**
 * Units of numeric leaves, by path relative to the settings (or to one route, for route fields),
 * array indices dropped. Used to format values and bounds (`30s`, `10%`) for people.
 */
export const FIELD_UNITS: Readonly<Record<string, 'duration' | 'percent'>> = {
  timeout: 'duration',
  'retries.perTryTimeout': 'duration',
  'fault.delay.fixed': 'duration',
  'fault.delay.percent': 'percent',
  'fault.abort.percent': 'percent',
  'mirror.percent': 'percent',
  'outlierDetection.interval': 'duration',
  'outlierDetection.baseEjectionTime': 'duration',
  'outlierDetection.maxEjectionPercent': 'percent',
  'outlierDetection.failurePercentageThreshold': 'percent',
};
