/** Everything a sync step talks to, injected: real adapters in Lambda, in-memory fakes in tests. */
import type { LeaseStorePort } from '../lease/lease-guard';
import type { ReplicaStorePort } from '../store/port';
import type { StepEnv } from '../step-env';
import type { GcNotesPort, ReadersPort, ReleasesPort, WorkingFilesPort } from '../store/readers';
import type { EbsBlocksPort, Ec2Port, ExecutionsPort, StepLog, VcpuCapacityPort } from '../ports';

export interface StepDeps {
  readonly env: StepEnv;
  readonly ec2: Ec2Port;
  readonly ebs: EbsBlocksPort;
  readonly executions: ExecutionsPort;
  /** The vCPU quota and what counts against it (Plan sizes the zSATs at once). */
  readonly capacity: VcpuCapacityPort;
  readonly store: ReplicaStorePort;
  /** The VPG lease object (conditional writes). */
  readonly lease: LeaseStorePort;
  /** Reader records of test failbacks and exports; sources released from the VPG by a person; working-file sets; notes of packs a failed sync may have orphaned. */
  readonly readers: ReadersPort & ReleasesPort & WorkingFilesPort & GcNotesPort;
  readonly log: StepLog;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /**
   * Set by the lease wrapper (runtime/handlers/lease-step.ts) for a lease-guarded step: whether this attempt acts
   * under the VPG's lease. False only for best-effort steps that found it lost; undefined for unguarded steps.
   */
  readonly leaseHeld?: boolean;
}

/** What every step has whatever it does: no SDK client stands behind any of these. */
export type StepBasics = Pick<StepDeps, 'env' | 'log' | 'now' | 'sleep' | 'leaseHeld'>;

/**
 * A step's dependencies narrowed to the SDK-backed ports it uses. Its handler (runtime/handlers) wires only these,
 * so its bundle holds only their SDK clients (EC2's alone is ~1 MiB minified and ~0.4 s of cold start).
 */
export type StepDepsWith<K extends keyof StepDeps> = StepBasics & Pick<StepDeps, K>;
