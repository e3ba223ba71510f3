/**
 * The account's default VPC, looked up when the site stack deploys (not at synth: stacks stay account-agnostic).
 * A custom resource backed by one small Lambda (runtime/handlers/default-vpc-handler.ts): it answers the default VPC's
 * id, or fails the deploy with one message saying what to set when the region has none (landing zones delete it),
 * instead of a security group created with no VpcId failing with EC2's VPCIdNotSpecified.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources-lambda.html
 */
import { resolve } from 'node:path';
import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DEFAULT_VPC_RESOURCE_TYPE } from '../runtime/core/workers/default-vpc';
import { LifeboatFunction } from './lifeboat-function';
import { ack, DESCRIBE } from './nag-acks';
import { defaultVpcFunctionName } from '../runtime/core/resource-names';

export interface DefaultVpcProps {
  readonly siteId: string;
  /** @default runtime/handlers of this project */
  readonly handlersDir?: string;
}

export class DefaultVpc extends Construct {
  /** The default VPC's id (a deploy-time token). */
  readonly vpcId: string;
  readonly role: iam.Role;
  readonly fn: LifeboatFunction;

  constructor(scope: Construct, id: string, props: DefaultVpcProps) {
    super(scope, id);
    const role = (this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Lifeboat site ${props.siteId}: finds the default VPC when the site stack deploys (read only)`,
    }));
    // DescribeVpcs has no resource-level permissions (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html)
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'FindDefaultVpc', actions: ['ec2:DescribeVpcs'], resources: ['*'] }));
    ack(role, [{ id: DESCRIBE.id, reason: 'the default-VPC lookup calls ec2:DescribeVpcs only, which supports no resource-level permissions' }]);
    const fn = (this.fn = new LifeboatFunction(this, 'Function', {
      entry: resolve(props.handlersDir ?? resolve(__dirname, '..', 'runtime', 'handlers'), 'default-vpc-handler.ts'),
      handler: 'handler',
      functionName: defaultVpcFunctionName(props.siteId),
      description: `Lifeboat site ${props.siteId}: the default VPC lookup of the site stack`,
      role,
      timeout: Duration.minutes(1),
    }));
    fn.logGroup.grantWrite(role);
    const resource = new CustomResource(this, 'Lookup', { serviceToken: fn.fn.functionArn, resourceType: DEFAULT_VPC_RESOURCE_TYPE });
    resource.node.addDependency(role);
    this.vpcId = resource.getAttString('VpcId');
  }
}
