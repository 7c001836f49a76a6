/**
 * A plain grpc-js client for Envoy's Client Status Discovery Service (proto-loader on the repo's
 * csds.proto), for tests that read what a connected client holds from Trellis' xDS port.
 */
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { REPO_ROOT } from './clients.ts';

export interface GenericXdsConfig {
  type_url?: string;
  name?: string;
  version_info?: string;
  client_status?: string;
}

export interface ClientStatusResponse {
  config?: Array<{ node?: { id?: string; metadata?: unknown }; generic_xds_configs?: GenericXdsConfig[] }>;
}

type FetchClientStatus = (
  request: Record<string, unknown>,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: ClientStatusResponse) => void,
) => void;

export type CsdsClient = grpc.Client & { FetchClientStatus: FetchClientStatus };

/** A CSDS client for `address` (host:port); close it when done. */
export function csdsClient(address: string): CsdsClient {
  const definition = protoLoader.loadSync('envoy/service/status/v3/csds.proto', {
    keepCase: true,
    enums: String,
    longs: String,
    defaults: false,
    oneofs: true,
    includeDirs: [join(REPO_ROOT, 'proto'), join(REPO_ROOT, 'node_modules', 'protobufjs')],
  });
  const Client = grpc.makeClientConstructor(
    definition['envoy.service.status.v3.ClientStatusDiscoveryService'] as grpc.ServiceDefinition,
    'ClientStatusDiscoveryService',
  );
  return new Client(address, grpc.credentials.createInsecure()) as unknown as CsdsClient;
}

/** FetchClientStatus with `request` (default: every node) and a 5 s deadline. */
export function fetchClientStatus(client: CsdsClient, request: Record<string, unknown> = {}): Promise<ClientStatusResponse> {
  return new Promise((resolveCall, rejectCall) => {
    client.FetchClientStatus(request, { deadline: Date.now() + 5000 }, (error, answer) => (error ? rejectCall(error) : resolveCall(answer ?? {})));
  });
}

/** The resources CSDS reports for node `nodeId` ([] when the node is not listed). */
export async function resourcesOf(client: CsdsClient, nodeId: string): Promise<GenericXdsConfig[]> {
  const response = await fetchClientStatus(client, { node_matchers: [{ node_id: { exact: nodeId } }] });
  return response.config?.find((c) => c.node?.id === nodeId)?.generic_xds_configs ?? [];
}
