/** What the config service takes and answers: plain data, ready to send as JSON. */
import type { ServiceKey } from '../../registry/types.ts';
import type { Diagnostic } from '../../util/errors.ts';
import type { Actor, ConfigChange } from '../store/records.ts';
import type { ConfigDocument, ConfigKind, ConfigSnapshot } from '../types.ts';

/** A file as the user gave it: `name` is what diagnostics say (`reviews.yaml:14`). */
export interface ConfigFile {
  readonly name: string;
  readonly text: string;
}

/** Generated Envoy resources for one proxy: type URL → resource name → resource (plain object). */
export type EnvoyResources = Readonly<Record<string, Readonly<Record<string, object>>>>;

/** Builds the resources one sidecar of `service` would get under `snapshot` (the lead provides it). */
export type PreviewEnvoy = (snapshot: ConfigSnapshot, service: ServiceKey) => EnvoyResources | Promise<EnvoyResources>;

/** A document a request writes (creates, updates or deletes). */
export interface DocumentWrite {
  readonly id: string;
  readonly kind: ConfigKind;
  readonly name: string;
  readonly namespace?: string;
}

/** Whether the caller may write these documents: undefined = yes, else the refusal naming the rule. */
export type WritePermit = (writes: readonly DocumentWrite[]) => string | undefined;

export interface WriteOptions {
  readonly actor: Actor;
  readonly permit?: WritePermit;
}

export interface ApplyOptions extends WriteOptions {
  readonly dryRun?: boolean;
  /** Recorded in the revision (default 'apply'; GitOps uses 'gitops'). */
  readonly action?: 'apply' | 'gitops';
  /** Stored documents matching this and absent from the files are deleted in the same revision. */
  readonly prune?: (document: ConfigDocument) => boolean;
}

/** A change without its document bodies (what an apply answers). */
export interface ChangeSummary {
  readonly id: string;
  readonly op: ConfigChange['op'];
}

export type Rejection = {
  readonly ok: false;
  /** invalid → 400, forbidden → 403, not-found → 404, conflict → 409. */
  readonly reason: 'invalid' | 'forbidden' | 'not-found' | 'conflict';
  readonly message: string;
  readonly diagnostics: readonly Diagnostic[];
};

export type WriteResult =
  | {
      readonly ok: true;
      readonly dryRun: boolean;
      /** The revision written, or the current one when nothing changed or on a dry run. */
      readonly revision: number;
      readonly changes: readonly ChangeSummary[];
      /** Non-fatal diagnostics (warnings, and problems that were already there before). */
      readonly warnings: readonly Diagnostic[];
    }
  | Rejection;

export interface StoredDocumentView {
  readonly id: string;
  readonly kind: ConfigKind;
  readonly name: string;
  readonly namespace?: string;
  /** `file:line` where it was written. */
  readonly source: string;
  readonly raw: unknown;
}

export interface DocumentDiff {
  readonly id: string;
  readonly op: 'create' | 'update' | 'delete' | 'unchanged';
}

export interface FieldChange {
  /** Leaf path in the effective settings (`retries.attempts`, `routes`). */
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ResourceDiff {
  readonly typeUrl: string;
  readonly name: string;
  readonly op: 'added' | 'removed' | 'changed';
  /** Unified diff of the resource's YAML. */
  readonly diff: string;
}

export interface ServiceDiff {
  readonly service: ServiceKey;
  readonly settings: readonly FieldChange[];
  /** Unified diff of the authorization rules guarding the service (explain's table); absent when unchanged. */
  readonly authorization?: string;
  /** Absent when no previewEnvoy was given (or the service was over the preview limit). */
  readonly envoy?: readonly ResourceDiff[];
}

export type DiffResult =
  | {
      readonly ok: true;
      readonly revision: number;
      readonly documents: readonly DocumentDiff[];
      readonly services: readonly ServiceDiff[];
      /** Whether an apply of the same files would be accepted, and why not. */
      readonly valid: boolean;
      readonly diagnostics: readonly Diagnostic[];
    }
  | Rejection;

/** The authorization rules guarding a service, for explain. */
export interface AuthorizationExplain {
  readonly hasAllowPolicies: boolean;
  /** AuthorizationRow[] in evaluation order (DENY first). */
  readonly rules: unknown;
  readonly text: string;
}

/** The decision for one caller (explain `--from`). */
export interface DecisionExplain {
  /** The caller as given (`name.namespace` or a SPIFFE id) and its SPIFFE id. */
  readonly from: string;
  readonly spiffeId: string;
  readonly decision: 'ALLOW' | 'DENY';
  readonly reason: string;
  /** The deciding rule: policy id, `file:line`, rule index. Absent when no rule matched. */
  readonly matched?: { readonly document: string; readonly source: string; readonly index: number; readonly action: 'ALLOW' | 'DENY'; readonly layer: 'platform' | 'team' };
  readonly text: string;
}

/** A request to decide in explain: the caller and optionally path, method and port. */
export interface ExplainRequest {
  /** `name.namespace` or a SPIFFE id. */
  readonly from: string;
  readonly path?: string;
  readonly method?: string;
  readonly port?: number;
}

export type ExplainResult =
  | {
      readonly ok: true;
      readonly service: ServiceKey;
      readonly revision: number;
      readonly rows: unknown;
      readonly text: string;
      readonly envoy?: EnvoyResources;
      readonly authorization: AuthorizationExplain;
      readonly decision?: DecisionExplain;
    }
  | Rejection;
