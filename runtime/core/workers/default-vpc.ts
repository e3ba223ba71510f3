/** The default-VPC lookup's answers (lib/default-vpc.ts, runtime/handlers/default-vpc-handler.ts). */
export const DEFAULT_VPC_RESOURCE_TYPE = 'Custom::LifeboatDefaultVpc';

/** What a region without a default VPC needs from the config: said at deploy, by the doctor and by a sync. */
export function noDefaultVpcMessage(region: string, keys = 'agent.vpcId and agent.subnetIds'): string {
  return (
    `this account has no default VPC in ${region} (landing zones often delete it): set ${keys} in lifeboat.config.json ` +
    `(a VPC and one subnet per Availability Zone with protected volumes, each routed to S3 through an S3 gateway endpoint or a NAT gateway), ` +
    `then deploy again; README "Deploying into an AWS account"`
  );
}
