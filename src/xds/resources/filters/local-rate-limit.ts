/**
 * Local rate limit (`envoy.filters.http.local_ratelimit`) on a sidecar's inbound HCM: a token
 * bucket of `burst` tokens refilled with `requestsPerSecond` tokens every second, enabled and
 * enforced for 100% of requests. Envoy answers 429 when the bucket is empty. gRPC has no such
 * filter, so it is never emitted for proxyless resources.
 */
import type { RateLimitModel } from '../../../model/types.ts';
import { duration, fractionalPercent, typed, type EnvoyObject } from '../envoy-values.ts';
import type { HttpFilterEntry } from './context.ts';

export const LOCAL_RATE_LIMIT_FILTER_NAME = 'envoy.filters.http.local_ratelimit';
export const LOCAL_RATE_LIMIT_TYPE = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';

/** The LocalRateLimit Any for `limit`. */
export function buildLocalRateLimitConfig(limit: RateLimitModel, statPrefix: string): EnvoyObject {
  const always = (runtimeKey: string): EnvoyObject => ({ default_value: fractionalPercent(100), runtime_key: runtimeKey });
  return typed(LOCAL_RATE_LIMIT_TYPE, {
    stat_prefix: statPrefix,
    token_bucket: { max_tokens: limit.burst, tokens_per_fill: { value: limit.requestsPerSecond }, fill_interval: duration(1000) },
    filter_enabled: always('local_rate_limit_enabled'),
    filter_enforced: always('local_rate_limit_enforced'),
  });
}

/** In the inbound HCM of a sidecar whose service sets a rate limit. */
export const localRateLimitFilter: HttpFilterEntry = {
  name: LOCAL_RATE_LIMIT_FILTER_NAME,
  build: (context) =>
    context.side === 'inbound' && context.rateLimit
      ? { name: LOCAL_RATE_LIMIT_FILTER_NAME, typed_config: buildLocalRateLimitConfig(context.rateLimit, 'inbound_rate_limit') }
      : undefined,
};
