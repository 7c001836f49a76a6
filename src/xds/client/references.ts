/**
 * What an Envoy-like client subscribes to next: EDS for its clusters; RDS for its listeners'
 * `rds` names and for the route configurations its scopes name; SRDS (wildcard) when a listener
 * has scoped routes by `scoped_rds`. Read from the wire without decoding: a load generator admits
 * thousands of streams a second, and decoding each listener with protobufjs to find a name was
 * 7 % of its CPU in a storm. Names are interned (`internName`).
 */
import { anyValueOf, edsNameOfCluster, FieldCursor, stringFieldOf } from '../server/proto-scan.ts';
import { internName } from './names.ts';

/** CLA names the clusters (encoded Anys) wait for: EDS clusters only, service_name or name. */
export function edsNamesOf(clusters: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of clusters) {
    const name = edsNameOfCluster(anyValueOf(any));
    if (name !== undefined) names.add(internName(name));
  }
  return [...names].sort();
}

/** What a set of listeners asks for next. */
export interface ListenerReferences {
  /** RouteConfiguration names referenced through an HCM `rds`, sorted. */
  readonly rds: string[];
  /** True when some HCM takes its scopes by SRDS (`scoped_routes.scoped_rds`). */
  readonly scopedRds: boolean;
}

interface Found {
  readonly rds: Set<string>;
  scopedRds: boolean;
}

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

// Field numbers (envoy.config.listener.v3 and the HCM's v3 protos).
const LISTENER_FILTER_CHAINS = 3;
const LISTENER_DEFAULT_FILTER_CHAIN = 25;
const LISTENER_API_LISTENER = 19;
const API_LISTENER_ANY = 1;
const FILTER_CHAIN_FILTERS = 3;
const FILTER_TYPED_CONFIG = 4;
const ANY_TYPE_URL = 1;
const ANY_VALUE = 2;
const HCM_RDS = 3;
const RDS_ROUTE_CONFIG_NAME = 2;
const HCM_SCOPED_ROUTES = 31;
const SCOPED_ROUTES_SCOPED_RDS = 5;

/** An HttpConnectionManager's `rds.route_config_name` and `scoped_routes.scoped_rds`. */
function readHcm(bytes: Uint8Array, from: number, to: number, found: Found): void {
  const cursor = new FieldCursor(bytes, from, to);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    if (cursor.field === HCM_RDS) {
      const rds = new FieldCursor(bytes, cursor.from, cursor.to);
      while (rds.next()) if (rds.field === RDS_ROUTE_CONFIG_NAME && rds.isLen && rds.to > rds.from) found.rds.add(internName(rds.text()));
    } else if (cursor.field === HCM_SCOPED_ROUTES) {
      const scoped = new FieldCursor(bytes, cursor.from, cursor.to);
      while (scoped.next()) if (scoped.field === SCOPED_ROUTES_SCOPED_RDS && scoped.isLen) found.scopedRds = true;
    }
  }
}

/** An Any in `bytes[from, to)`: read as an HCM when it is one. */
function readAnyHcm(bytes: Uint8Array, from: number, to: number, found: Found): void {
  let isHcm = false;
  let valueFrom = -1;
  let valueTo = -1;
  const cursor = new FieldCursor(bytes, from, to);
  while (cursor.next()) {
    if (!cursor.isLen) continue;
    if (cursor.field === ANY_TYPE_URL) isHcm = cursor.text() === HCM_TYPE;
    else if (cursor.field === ANY_VALUE) [valueFrom, valueTo] = [cursor.from, cursor.to];
  }
  if (isHcm && valueFrom >= 0) readHcm(bytes, valueFrom, valueTo, found);
}

function readFilterChain(bytes: Uint8Array, from: number, to: number, found: Found): void {
  const chain = new FieldCursor(bytes, from, to);
  while (chain.next()) {
    if (chain.field !== FILTER_CHAIN_FILTERS || !chain.isLen) continue;
    const filter = new FieldCursor(bytes, chain.from, chain.to);
    while (filter.next()) if (filter.field === FILTER_TYPED_CONFIG && filter.isLen) readAnyHcm(bytes, filter.from, filter.to, found);
  }
}

/**
 * What the listeners (encoded Anys) reference through their HttpConnectionManagers, in filter
 * chains, the default filter chain or an api_listener: `rds` names, and whether any uses scoped
 * routes by SRDS.
 */
export function listenerReferencesOf(listeners: Iterable<Uint8Array>): ListenerReferences {
  const found: Found = { rds: new Set<string>(), scopedRds: false };
  for (const any of listeners) {
    const listener = anyValueOf(any);
    const cursor = new FieldCursor(listener);
    while (cursor.next()) {
      if (!cursor.isLen) continue;
      if (cursor.field === LISTENER_FILTER_CHAINS || cursor.field === LISTENER_DEFAULT_FILTER_CHAIN) readFilterChain(listener, cursor.from, cursor.to, found);
      else if (cursor.field === LISTENER_API_LISTENER) {
        const api = new FieldCursor(listener, cursor.from, cursor.to);
        while (api.next()) if (api.field === API_LISTENER_ANY && api.isLen) readAnyHcm(listener, api.from, api.to, found);
      }
    }
  }
  return { rds: [...found.rds].sort(), scopedRds: found.scopedRds };
}

/** RouteConfiguration names the listeners (encoded Anys) reference through an HCM `rds`. */
export function rdsNamesOf(listeners: Iterable<Uint8Array>): string[] {
  return listenerReferencesOf(listeners).rds;
}

// ScopedRouteConfiguration.route_configuration_name (read without decoding: thousands of scopes).
const ROUTE_CONFIGURATION_NAME_FIELD = 2;

/** RouteConfiguration names the scopes (encoded Anys of ScopedRouteConfiguration) name, sorted. */
export function scopeRouteNamesOf(scopes: Iterable<Uint8Array>): string[] {
  const names = new Set<string>();
  for (const any of scopes) {
    const name = stringFieldOf(anyValueOf(any), ROUTE_CONFIGURATION_NAME_FIELD);
    if (name) names.add(internName(name));
  }
  return [...names].sort();
}
