/**
 * Hand-written encoders for the most numerous resource shapes, writing the same bytes as
 * protobufjs (`encode(fromObject(x))`: fields in number order, every present field written, even
 * a zero) without building protobufjs message objects first, which was most of the cost and
 * garbage of encoding ClusterLoadAssignments, plain EDS Clusters, route configurations of
 * unconfigured services and scopes (a 10k-service snapshot holds 10k of each).
 * An encoder returns undefined for any shape it does not know exactly (an unexpected key, an
 * unknown enum name), and the caller falls back to protobufjs. Byte equality with protobufjs is
 * tested over builder output.
 */
import { FastWriter, writeWith } from './fast-writer.ts';

type Writer = FastWriter;
type Plain = Record<string, unknown>;

/** Thrown inside an encoder to abandon the fast path; never escapes `fastEncode`. */
const UNKNOWN_SHAPE = Symbol('unknown shape');

function plain(value: unknown, allowed: ReadonlySet<string>): Plain {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw UNKNOWN_SHAPE;
  for (const key in value) if (!allowed.has(key)) throw UNKNOWN_SHAPE;
  return value as Plain;
}

function str(w: Writer, tag: number, value: unknown): void {
  if (value == null) return;
  if (typeof value !== 'string') throw UNKNOWN_SHAPE;
  w.uint32(tag).string(value);
}

function u32(w: Writer, tag: number, value: unknown): void {
  if (value == null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) throw UNKNOWN_SHAPE;
  w.uint32(tag).uint32(value);
}

function list(value: unknown): readonly unknown[] {
  if (value == null) return [];
  if (!Array.isArray(value)) throw UNKNOWN_SHAPE;
  return value;
}

const WRAPPER_KEYS = new Set(['value']);

/** google.protobuf.UInt32Value as a length-delimited field `tag`. */
function uint32Value(w: Writer, tag: number, value: unknown): void {
  if (value == null) return;
  const v = plain(value, WRAPPER_KEYS);
  w.uint32(tag).fork();
  u32(w, 8, v['value']);
  w.ldelim();
}

const LOCALITY_KEYS = new Set(['region', 'zone', 'sub_zone']);
const SOCKET_ADDRESS_KEYS = new Set(['address', 'port_value']);
const ADDRESS_KEYS = new Set(['socket_address']);
const ENDPOINT_KEYS = new Set(['address']);
const LB_ENDPOINT_KEYS = new Set(['endpoint', 'health_status', 'load_balancing_weight']);
const LOCALITY_LB_KEYS = new Set(['locality', 'lb_endpoints', 'load_balancing_weight', 'priority']);
const CLA_KEYS = new Set(['cluster_name', 'endpoints']);
const HEALTH_STATUS: Readonly<Record<string, number>> = { UNKNOWN: 0, HEALTHY: 1, UNHEALTHY: 2, DRAINING: 3, TIMEOUT: 4, DEGRADED: 5 };

function lbEndpoint(w: Writer, value: unknown): void {
  const e = plain(value, LB_ENDPOINT_KEYS);
  w.uint32((2 << 3) | 2).fork();
  if (e['endpoint'] != null) {
    const endpoint = plain(e['endpoint'], ENDPOINT_KEYS);
    w.uint32((1 << 3) | 2).fork();
    if (endpoint['address'] != null) {
      const address = plain(endpoint['address'], ADDRESS_KEYS);
      w.uint32((1 << 3) | 2).fork();
      if (address['socket_address'] != null) {
        const socket = plain(address['socket_address'], SOCKET_ADDRESS_KEYS);
        w.uint32((1 << 3) | 2).fork();
        str(w, (2 << 3) | 2, socket['address']);
        u32(w, 3 << 3, socket['port_value']);
        w.ldelim();
      }
      w.ldelim();
    }
    w.ldelim();
  }
  const health = e['health_status'];
  if (health != null) {
    const code = typeof health === 'string' ? HEALTH_STATUS[health] : undefined;
    if (code === undefined) throw UNKNOWN_SHAPE;
    w.uint32(2 << 3).int32(code);
  }
  uint32Value(w, (4 << 3) | 2, e['load_balancing_weight']);
  w.ldelim();
}

function localityLbEndpoints(w: Writer, value: unknown): void {
  const group = plain(value, LOCALITY_LB_KEYS);
  w.uint32((2 << 3) | 2).fork();
  if (group['locality'] != null) {
    const locality = plain(group['locality'], LOCALITY_KEYS);
    w.uint32((1 << 3) | 2).fork();
    str(w, (1 << 3) | 2, locality['region']);
    str(w, (2 << 3) | 2, locality['zone']);
    str(w, (3 << 3) | 2, locality['sub_zone']);
    w.ldelim();
  }
  for (const endpoint of list(group['lb_endpoints'])) lbEndpoint(w, endpoint);
  uint32Value(w, (3 << 3) | 2, group['load_balancing_weight']);
  u32(w, 5 << 3, group['priority']);
  w.ldelim();
}

function clusterLoadAssignment(w: Writer, value: unknown): void {
  const cla = plain(value, CLA_KEYS);
  str(w, (1 << 3) | 2, cla['cluster_name']);
  for (const group of list(cla['endpoints'])) localityLbEndpoints(w, group);
}

const SCOPE_KEYS = new Set(['name', 'route_configuration_name', 'key']);
const SCOPE_KEY_KEYS = new Set(['fragments']);
const FRAGMENT_KEYS = new Set(['string_key']);

function scopedRouteConfiguration(w: Writer, value: unknown): void {
  const scope = plain(value, SCOPE_KEYS);
  str(w, (1 << 3) | 2, scope['name']);
  str(w, (2 << 3) | 2, scope['route_configuration_name']);
  if (scope['key'] != null) {
    const key = plain(scope['key'], SCOPE_KEY_KEYS);
    w.uint32((3 << 3) | 2).fork();
    for (const fragment of list(key['fragments'])) {
      const f = plain(fragment, FRAGMENT_KEYS);
      w.uint32((1 << 3) | 2).fork();
      str(w, (1 << 3) | 2, f['string_key']);
      w.ldelim();
    }
    w.ldelim();
  }
}

const CLUSTER_KEYS = new Set(['name', 'type', 'eds_cluster_config', 'connect_timeout', 'lb_policy', 'typed_extension_protocol_options']);
const EDS_CONFIG_KEYS = new Set(['eds_config', 'service_name']);
const CONFIG_SOURCE_KEYS = new Set(['ads', 'resource_api_version']);
const DURATION_KEYS = new Set(['seconds', 'nanos']);
const NO_KEYS = new Set<string>();
const DISCOVERY_TYPE: Readonly<Record<string, number>> = { STATIC: 0, STRICT_DNS: 1, LOGICAL_DNS: 2, EDS: 3, ORIGINAL_DST: 4 };
const LB_POLICY: Readonly<Record<string, number>> = { ROUND_ROBIN: 0, LEAST_REQUEST: 1, RING_HASH: 2, RANDOM: 3, MAGLEV: 5, CLUSTER_PROVIDED: 6, LOAD_BALANCING_POLICY_CONFIG: 7 };
const API_VERSION: Readonly<Record<string, number>> = { AUTO: 0, V2: 1, V3: 2 };

function enumField(w: Writer, tag: number, value: unknown, names: Readonly<Record<string, number>>): void {
  if (value == null) return;
  const code = typeof value === 'string' ? names[value] : undefined;
  if (code === undefined) throw UNKNOWN_SHAPE;
  w.uint32(tag).int32(code);
}

/** int64 seconds and int32 nanos, both non-negative and small (what builders make). */
function duration(w: Writer, tag: number, value: unknown): void {
  if (value == null) return;
  const d = plain(value, DURATION_KEYS);
  const small = (n: unknown): boolean => n == null || (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 2 ** 31);
  if (!small(d['seconds']) || !small(d['nanos'])) throw UNKNOWN_SHAPE;
  w.uint32(tag).fork();
  if (d['seconds'] != null) w.uint32(1 << 3).int64(d['seconds'] as number);
  if (d['nanos'] != null) w.uint32(2 << 3).int32(d['nanos'] as number);
  w.ldelim();
}

/** A message field whose message must have no fields set (`{}`), written as an empty message. */
function emptyMessage(w: Writer, tag: number, value: unknown): void {
  if (value == null) return;
  plain(value, NO_KEYS);
  w.uint32(tag).fork().ldelim();
}

const HTTP_PROTOCOL_OPTIONS_URL = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HTTP_PROTOCOL_OPTIONS_KEYS = new Set(['@type', 'explicit_http_config']);
const EXPLICIT_HTTP_CONFIG_KEYS = new Set(['http_protocol_options', 'http2_protocol_options']);

/**
 * `typed_extension_protocol_options` (map<string, Any>, field 36) holding only HttpProtocolOptions
 * that pick HTTP/1 or HTTP/2 with no settings: every gRPC service's cluster. Entries in key order
 * of the object, each as protobufjs writes a map entry: key (1), then the Any (2).
 */
function protocolOptions(w: Writer, value: unknown): void {
  if (value == null) return;
  if (typeof value !== 'object' || Array.isArray(value)) throw UNKNOWN_SHAPE;
  const map = value as Plain;
  for (const key in map) {
    const options = plain(map[key], HTTP_PROTOCOL_OPTIONS_KEYS);
    if (options['@type'] !== HTTP_PROTOCOL_OPTIONS_URL) throw UNKNOWN_SHAPE;
    w.uint32((36 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(key);
    w.uint32((2 << 3) | 2).fork();
    w.uint32((1 << 3) | 2).string(HTTP_PROTOCOL_OPTIONS_URL);
    w.uint32((2 << 3) | 2).fork();
    if (options['explicit_http_config'] != null) {
      const explicit = plain(options['explicit_http_config'], EXPLICIT_HTTP_CONFIG_KEYS);
      w.uint32((3 << 3) | 2).fork();
      emptyMessage(w, (1 << 3) | 2, explicit['http_protocol_options']);
      emptyMessage(w, (2 << 3) | 2, explicit['http2_protocol_options']);
      w.ldelim();
    }
    w.ldelim();
    w.ldelim();
    w.ldelim();
  }
}

/** The plain EDS cluster (no TLS, no limits; HTTP/1 or HTTP/2 upstream): the bulk of a large snapshot. */
function cluster(w: Writer, value: unknown): void {
  const c = plain(value, CLUSTER_KEYS);
  str(w, (1 << 3) | 2, c['name']);
  enumField(w, 2 << 3, c['type'], DISCOVERY_TYPE);
  if (c['eds_cluster_config'] != null) {
    const eds = plain(c['eds_cluster_config'], EDS_CONFIG_KEYS);
    w.uint32((3 << 3) | 2).fork();
    if (eds['eds_config'] != null) {
      const source = plain(eds['eds_config'], CONFIG_SOURCE_KEYS);
      w.uint32((1 << 3) | 2).fork();
      emptyMessage(w, (3 << 3) | 2, source['ads']);
      enumField(w, 6 << 3, source['resource_api_version'], API_VERSION);
      w.ldelim();
    }
    str(w, (2 << 3) | 2, eds['service_name']);
    w.ldelim();
  }
  duration(w, (4 << 3) | 2, c['connect_timeout']);
  enumField(w, 6 << 3, c['lb_policy'], LB_POLICY);
  protocolOptions(w, c['typed_extension_protocol_options']);
}

const ROUTE_CONFIG_KEYS = new Set(['name', 'virtual_hosts']);
const VIRTUAL_HOST_KEYS = new Set(['name', 'domains', 'routes']);
const ROUTE_KEYS = new Set(['name', 'match', 'route']);
const MATCH_KEYS = new Set(['prefix']);
const ACTION_KEYS = new Set(['cluster']);

/** A route with a prefix match to one cluster and nothing else: every route of an unconfigured service. */
function simpleRoute(w: Writer, value: unknown): void {
  const route = plain(value, ROUTE_KEYS);
  w.uint32((3 << 3) | 2).fork();
  if (route['match'] != null) {
    const match = plain(route['match'], MATCH_KEYS);
    w.uint32((1 << 3) | 2).fork();
    str(w, (1 << 3) | 2, match['prefix']);
    w.ldelim();
  }
  if (route['route'] != null) {
    const action = plain(route['route'], ACTION_KEYS);
    w.uint32((2 << 3) | 2).fork();
    str(w, (1 << 3) | 2, action['cluster']);
    w.ldelim();
  }
  str(w, (14 << 3) | 2, route['name']);
  w.ldelim();
}

function routeConfiguration(w: Writer, value: unknown): void {
  const config = plain(value, ROUTE_CONFIG_KEYS);
  str(w, (1 << 3) | 2, config['name']);
  for (const host of list(config['virtual_hosts'])) {
    const vhost = plain(host, VIRTUAL_HOST_KEYS);
    w.uint32((2 << 3) | 2).fork();
    str(w, (1 << 3) | 2, vhost['name']);
    for (const domain of list(vhost['domains'])) {
      if (typeof domain !== 'string') throw UNKNOWN_SHAPE;
      w.uint32((2 << 3) | 2).string(domain);
    }
    for (const route of list(vhost['routes'])) simpleRoute(w, route);
    w.ldelim();
  }
}

const ENCODERS: Readonly<Record<string, (w: Writer, value: unknown) => void>> = {
  'envoy.config.route.v3.RouteConfiguration': routeConfiguration,
  'envoy.config.cluster.v3.Cluster': cluster,
  'envoy.config.endpoint.v3.ClusterLoadAssignment': clusterLoadAssignment,
  'envoy.config.route.v3.ScopedRouteConfiguration': scopedRouteConfiguration,
};

/** The bytes of `value` as message `fullName`, or undefined when no fast encoder knows its shape. */
export function fastEncode(fullName: string, value: object): Uint8Array | undefined {
  const encoder = ENCODERS[fullName];
  if (!encoder) return undefined;
  try {
    return writeWith((w) => encoder(w, value));
  } catch (error) {
    if (error === UNKNOWN_SHAPE) return undefined;
    throw error;
  }
}
