/** LaunchRecovered: the recovered VMs, one at a time in boot order, from the snapshots. */
import { launchRecovered } from '../core/failback/recovered';
import { launchInputSchema } from '../core/failback/schemas';
import { Ec2Adapter } from '../aws/ec2-adapter';
import { Ec2Recovery } from '../aws/ec2-recovery';
import { Ec2Images } from '../aws/ec2-images';
import { s3Ports } from './s3-ports';
import { defineFailbackStep } from './failback-step-runtime';

export const step = defineFailbackStep('failback-launch', launchInputSchema, launchRecovered, {
  lease: 'required',
  ports: (env) => ({ ec2: new Ec2Adapter(), recovery: new Ec2Recovery(), images: new Ec2Images(), ...s3Ports(env) }),
});
export const handler = step.handler;
