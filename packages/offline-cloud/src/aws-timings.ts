/**
 * How long AWS takes for what the offline cloud emulates: the one table of timing constants that stand for
 * AWS behaviour, each with its source. They are cloud milliseconds on the cloud clock (src/clock.ts), so at
 * `--time-scale N` they pass N times faster in real time and a run still measures AWS seconds. Where AWS
 * publishes no figure the entry says so and names what it rests on. (Rates and quotas: aws-rates.ts.)
 */
export interface Timings {
  /** How long a snapshot stays 'pending' (progress climbs to 100%). */
  snapshotMs: number;
  /** creating → available. */
  volumeMs: number;
  /** pending → running, and shutting-down → terminated / stopping → stopped. */
  instanceMs: number;
  /** running → the user data's boot script starts (the guest OS boots first, as on EC2). */
  bootMs: number;
  /** How long the user data's `aws s3 cp` waits for a connection that never comes. */
  connectTimeoutMs: number;
}

export const AWS_TIMINGS: Timings = {
  /**
   * AWS publishes no figure: a snapshot's time grows with the blocks changed since the last one, and the
   * first snapshot of a large volume "can take several hours"
   * (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-creating-snapshot.html). One minute stands for the
   * small incremental snapshots of a sync; an assumption, not an AWS figure.
   */
  snapshotMs: 60_000,
  /**
   * AWS publishes no figure for creating → available; a volume from a snapshot is available before its
   * blocks are (initialization is separate: aws-rates.ts VOLUME_INITIALIZATION,
   * https://docs.aws.amazon.com/ebs/latest/userguide/ebs-restoring-volume.html). Five seconds: an assumption.
   */
  volumeMs: 5_000,
  /**
   * AWS: "It can take a few minutes to launch an EC2 instance" (Auto Scaling's SchedulingBufferTime,
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PredictiveScalingConfiguration.html); a
   * public measurement puts pending → running at about 16 s across t3…r7i types and regions
   * (https://github.com/brevdev/ec2-coldboot-research). Measured, not published by AWS.
   */
  instanceMs: 16_000,
  /**
   * running → cloud-init runs the user data: the same measurement reaches SSH about 10 s after running
   * (cold launch 25.8 s); cloud-init's user-data scripts run in its final stage, after the network is up
   * (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html). Measured, not published by AWS.
   */
  bootMs: 10_000,
  /**
   * The AWS CLI's default --cli-connect-timeout, 60 s
   * (https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-options.html).
   */
  connectTimeoutMs: 60_000,
};
