/**
 * The site stack's default-VPC lookup (lib/default-vpc.ts), a CloudFormation custom resource: Create and Update
 * answer the region's default VPC id, or FAILED with what to set in the config when there is none; Delete has
 * nothing to undo. Every path answers CloudFormation, or the stack would wait an hour for it.
 */
import { makeEc2Client } from '../aws/ec2-adapter';
import { sendCustomResourceAnswer, type CustomResourceEvent } from '../aws/cfn-response';
import { Ec2Instances } from '../aws/ec2-instances';
import { errorMessage } from '../core/errors';
import { noDefaultVpcMessage } from '../core/workers/default-vpc';

export async function handler(event: CustomResourceEvent): Promise<void> {
  const region = process.env.AWS_REGION ?? 'this region';
  if (event.RequestType === 'Delete') {
    return sendCustomResourceAnswer(event, { status: 'SUCCESS', physicalResourceId: event.PhysicalResourceId ?? 'none' });
  }
  try {
    const vpcId = await new Ec2Instances(makeEc2Client()).defaultVpc();
    if (!vpcId) {
      return await sendCustomResourceAnswer(event, {
        status: 'FAILED',
        reason: noDefaultVpcMessage(region, 'agent.vpcId and agent.subnetIds'),
        physicalResourceId: event.PhysicalResourceId ?? `no-default-vpc-${region}`,
      });
    }
    await sendCustomResourceAnswer(event, { status: 'SUCCESS', physicalResourceId: vpcId, data: { VpcId: vpcId } });
  } catch (err) {
    await sendCustomResourceAnswer(event, {
      status: 'FAILED',
      reason: `looking up the default VPC failed: ${errorMessage(err)}`,
      physicalResourceId: event.PhysicalResourceId ?? 'failed',
    });
  }
}
