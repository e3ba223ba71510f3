/**
 * Where the workers run: the config's `agent`/`importer` network keys, checked across fields, and resolved into
 * one network per worker kind. Without a vpcId a worker uses the account's default VPC (looked up at deploy time,
 * lib/default-vpc.ts); with one, it launches in the configured subnet of its volumes' Availability Zone. Which zone a
 * subnet is in is only known in the account, so "one subnet per zone" and "a subnet for every zone with protected
 * volumes" are checked by `lifeboat doctor` and by the sync's Plan step, before anything is created.
 */
import type { SiteConfig, WorkerConfig } from './config-schema';

type Problem = { path: ReadonlyArray<PropertyKey>; text: string };
export type WorkerKind = 'agent' | 'importer';

/** What a worker kind launches into. */
export interface WorkerNetwork {
  /** Unset: the account's default VPC, its default subnets, a public IPv4 address (lib/worker-launch-template.ts). */
  readonly vpcId?: string;
  /** The configured subnets (empty with the default VPC). */
  readonly subnetIds: readonly string[];
  /** Where the subnets came from, for messages: `agent.subnetIds` or `importer.subnetIds`. */
  readonly configKey: string;
}

function subnetsOf(worker: WorkerConfig): string[] {
  return worker.subnetIds ?? (worker.subnetId ? [worker.subnetId] : []);
}

/** A worker kind without network keys of its own (the importer, usually) runs where the agent runs. */
export function workerNetwork(config: SiteConfig, kind: WorkerKind): WorkerNetwork {
  const own = config[kind];
  const source: WorkerKind = kind === 'importer' && !own.vpcId && subnetsOf(own).length === 0 ? 'agent' : kind;
  const worker = config[source];
  return { vpcId: worker.vpcId, subnetIds: subnetsOf(worker), configKey: `${source}.subnetIds` };
}

export function networkProblems(config: SiteConfig): Problem[] {
  const problems: Problem[] = [];
  for (const kind of ['agent', 'importer'] as const) {
    const w = config[kind];
    if (w.subnetId && w.subnetIds) {
      problems.push({
        path: [kind, 'subnetId'],
        text: `is given with ${kind}.subnetIds; keep one: subnetIds (one subnet per Availability Zone) replaces subnetId`,
      });
    }
    const subnets = subnetsOf(w);
    if (subnets.length > 0 && !w.vpcId) {
      problems.push({
        path: [kind, 'vpcId'],
        text: `is missing; with ${kind}.subnetIds, give the vpcId of those subnets (the workers' security group lives in that VPC)`,
      });
    }
    if (w.vpcId && subnets.length === 0) {
      problems.push({
        path: [kind, 'subnetIds'],
        text: `is missing; with ${kind}.vpcId, list one subnet of that VPC per Availability Zone with protected volumes (a worker launches in its volumes' zone), each with a route to S3 (an S3 gateway endpoint or a NAT gateway)`,
      });
    }
    const seen = new Map<string, number>();
    (w.subnetIds ?? []).forEach((id, j) => {
      const first = seen.get(id);
      if (first !== undefined)
        problems.push({ path: [kind, 'subnetIds', j], text: `is ${id} again (also ${kind}.subnetIds[${first}]); list each subnet once` });
      else seen.set(id, j);
    });
    if (w.s3GatewayEndpoint && !w.vpcId) {
      problems.push({
        path: [kind, 's3GatewayEndpoint'],
        text: `needs ${kind}.vpcId: the endpoint is created in that VPC (the default VPC reaches S3 through its internet gateway)`,
      });
    }
  }
  const agentEndpoint = config.agent.s3GatewayEndpoint;
  const importerEndpoint = config.importer.s3GatewayEndpoint;
  if (agentEndpoint && importerEndpoint && config.agent.vpcId === config.importer.vpcId) {
    problems.push({
      path: ['importer', 's3GatewayEndpoint'],
      text: 'is in the same VPC as agent.s3GatewayEndpoint; a VPC needs one S3 gateway endpoint: list all route tables under agent.s3GatewayEndpoint',
    });
  }
  return problems;
}
