/**
 * Per worker kind (zSATs of a sync, ZImporters of a failback): a subnet in every zone it must work in, a path from
 * there to S3, its launch template and image, and an instance type the zone offers whose architecture matches the
 * image. The subnet rules are the steps' own (runtime/core/workers/subnets.ts), so the preflight and the sync agree.
 */
import { placeWorkers, type SubnetLookup, type WorkerSubnets } from '../../runtime/core/workers/subnets';
import { type DoctorCheck, ok, problem, warning } from './doctor-model';
import type { Ec2Facts } from './ec2-facts';
import { s3PathOf } from './s3-path';

export interface WorkerKindInput {
  readonly vpg: string;
  /** 'zSAT' or 'ZImporter', as messages name them. */
  readonly kind: string;
  readonly zones: readonly string[];
  readonly subnets: WorkerSubnets;
  readonly templateName: string;
  /** Config key of the instance types, for messages (`agent.instanceTypes`). */
  readonly typesKey: string;
  readonly instanceTypes: readonly string[];
  readonly region: string;
  /** The replica bucket's region when it is not `region` (a recovery site elsewhere): endpoints here do not reach it. */
  readonly storeRegion?: string;
}

export interface WorkerKindDeps {
  readonly subnets: SubnetLookup;
  readonly facts: Ec2Facts;
}

/** "…; add a subnet of that zone" reads as detail and fix. */
function split(message: string): { detail: string; fix: string } {
  const at = message.lastIndexOf('; ');
  return at < 0 ? { detail: message, fix: 'see the README, "Deploying into an AWS account"' } : { detail: message.slice(0, at), fix: message.slice(at + 2) };
}

export async function workerKindChecks(input: WorkerKindInput, deps: WorkerKindDeps): Promise<DoctorCheck[]> {
  const { vpg, kind } = input;
  const checks: DoctorCheck[] = [];
  const template = await deps.facts.launchTemplate(input.templateName);
  if (!template) {
    checks.push(problem(vpg, `${kind} template`, `launch template ${input.templateName} does not exist`, 'deploy the site stack (npx cdk deploy --all)'));
  } else {
    checks.push(...(await templateChecks(input, template, deps.facts)));
  }
  if (input.zones.length === 0) return checks;
  const { placements, problems } = await placeWorkers(input.zones, input.subnets, deps.subnets, input.region);
  for (const p of problems) {
    const { detail, fix } = split(p);
    checks.push(problem(vpg, `${kind} subnet`, detail, fix));
  }
  const group = template?.securityGroupIds[0];
  const egress = group ? await deps.facts.securityGroupEgress(group) : null;
  const found = await deps.subnets.describeSubnets([...placements.values()].map((p) => p.subnetId));
  for (const [zone, placement] of placements) {
    const subnet = found.find((s) => s.subnetId === placement.subnetId);
    if (!subnet) continue;
    if (!group || !egress) {
      checks.push(
        problem(
          vpg,
          `${kind} network`,
          `${zone}: the ${kind}s' security group ${group ?? '(none in the template)'} does not exist`,
          'deploy the site stack (npx cdk deploy --all)',
        ),
      );
      continue;
    }
    const path = s3PathOf(await deps.facts.subnetRouting(subnet.subnetId, subnet.vpcId, placement.publicIp), egress, group, input.storeRegion);
    const where = `${zone}: ${kind}s launch in ${subnet.subnetId}${placement.publicIp ? ' (default subnet, public IPv4)' : ''}`;
    checks.push(
      path.reachable
        ? ok(vpg, `${kind} network`, `${where}, reaching S3 through ${path.via}`)
        : problem(vpg, `${kind} network`, `${where}, which cannot reach S3: ${path.why}`, path.fix),
    );
  }
  checks.push(...(await offeringChecks(input, deps.facts)));
  return checks;
}

async function templateChecks(
  input: WorkerKindInput,
  template: NonNullable<Awaited<ReturnType<Ec2Facts['launchTemplate']>>>,
  facts: Ec2Facts,
): Promise<DoctorCheck[]> {
  const { vpg, kind } = input;
  if (!template.imageId)
    return [problem(vpg, `${kind} template`, `${input.templateName} names no image`, 'deploy the site stack again (npx cdk deploy --all)')];
  const image = await facts.image(template.imageId);
  if (!image)
    return [
      problem(
        vpg,
        `${kind} template`,
        `${input.templateName} launches ${template.imageId}, which does not exist (or is not shared with this account)`,
        'set agent.amiId to an Amazon Linux 2023 AMI of this region, or leave it out for the latest, and deploy again',
      ),
    ];
  if (image.state !== 'available')
    return [
      problem(vpg, `${kind} template`, `${template.imageId} is ${image.state}`, 'set agent.amiId to an available Amazon Linux 2023 AMI and deploy again'),
    ];
  const types = await facts.instanceTypes(input.instanceTypes);
  const unknown = input.instanceTypes.filter((t) => !types.has(t));
  const mismatched = [...types].filter(([, t]) => !t.architectures.includes(image.architecture)).map(([name]) => name);
  const out: DoctorCheck[] = [];
  if (unknown.length)
    out.push(
      problem(
        vpg,
        `${kind} types`,
        `${input.typesKey}: EC2 knows no instance type ${unknown.join(', ')}`,
        `list instance types of this region in ${input.typesKey}`,
      ),
    );
  if (mismatched.length) {
    out.push(
      problem(
        vpg,
        `${kind} types`,
        `${mismatched.join(', ')} cannot run ${template.imageId} (${image.architecture})`,
        `list ${image.architecture} types in ${input.typesKey}, or an image of their architecture in agent.amiId`,
      ),
    );
  }
  if (out.length === 0)
    out.push(
      ok(
        vpg,
        `${kind} template`,
        `${input.templateName} launches ${template.imageId} (${image.architecture}, available) as ${input.instanceTypes.join(' or ')}`,
      ),
    );
  return out;
}

async function offeringChecks(input: WorkerKindInput, facts: Ec2Facts): Promise<DoctorCheck[]> {
  const offered = await facts.offerings(input.zones, input.instanceTypes);
  const out: DoctorCheck[] = [];
  for (const zone of input.zones) {
    const here = offered.get(zone) ?? new Set<string>();
    if (here.size === 0) {
      out.push(
        problem(
          input.vpg,
          `${input.kind} types`,
          `${zone} offers none of ${input.instanceTypes.join(', ')}`,
          `add a type ${zone} offers to ${input.typesKey} (aws ec2 describe-instance-type-offerings --location-type availability-zone)`,
        ),
      );
    } else if (!here.has(input.instanceTypes[0])) {
      out.push(
        warning(
          input.vpg,
          `${input.kind} types`,
          `${zone} does not offer ${input.instanceTypes[0]}; ${input.kind}s there fall back to ${input.instanceTypes.find((t) => here.has(t))}`,
          `put a type ${zone} offers first in ${input.typesKey}`,
        ),
      );
    }
  }
  return out;
}
