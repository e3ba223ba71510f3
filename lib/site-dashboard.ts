/**
 * One CloudWatch dashboard per site: each VPG's achieved RPO against its target and alarm threshold, then sync
 * durations, bytes, blocks, failures and running executions of every VPG, and the alarms' states.
 */
import { Duration } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { MetricName } from '../runtime/core/monitoring/metrics';
import type { SiteConfig } from './config';
import { lifeboatMetric, stateMachineArnByName, vpgRpoTarget } from './monitoring';
import { dashboardName, failbackFailedAlarmName, rpoAlarmName, syncFailedAlarmName, syncStateMachineName } from '../runtime/core/resource-names';

export interface SiteDashboardProps {
  readonly config: SiteConfig;
}

const WIDTH = 24;
const HOUR = Duration.hours(1);

export class SiteDashboard extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: SiteDashboardProps) {
    super(scope, id);
    const { config } = props;
    const site = config.siteId;
    const perVpg = (name: MetricName, statistic: string, period?: Duration) =>
      config.vpgs.map((v) => lifeboatMetric(site, v.name, name, statistic, period).with({ label: `${v.name} ${name}` }));

    this.dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(site),
      defaultInterval: Duration.days(1),
    });

    // Alarms live in the VPG stacks; referenced by their conventional names, so this stack needs none of them.
    const alarms = config.vpgs.flatMap((v) => [
      cw.Alarm.fromAlarmName(this, `RpoAlarm-${v.name}`, rpoAlarmName(site, v.name)),
      cw.Alarm.fromAlarmName(this, `SyncFailedAlarm-${v.name}`, syncFailedAlarmName(site, v.name)),
      cw.Alarm.fromAlarmName(this, `FailbackFailedAlarm-${v.name}`, failbackFailedAlarmName(site, v.name)),
    ]);
    this.dashboard.addWidgets(new cw.AlarmStatusWidget({ title: 'Lifeboat alarms', alarms, width: WIDTH, height: 3 }));

    const rpoGraphs = config.vpgs.map((v) => {
      const target = vpgRpoTarget(config, v);
      return new cw.GraphWidget({
        title: `Achieved RPO: ${v.name} (seconds since the last checkpoint)`,
        left: [lifeboatMetric(site, v.name, 'RpoSeconds', cw.Stats.MAXIMUM).with({ label: `${v.name} RPO` })],
        leftAnnotations: [
          { value: target.targetSeconds, label: `target: sync interval (${v.syncIntervalMinutes} min)`, color: cw.Color.GREEN },
          { value: target.alarmSeconds, label: `alarm (${config.alerts.rpoAlarmMultiple}x)`, color: cw.Color.RED },
        ],
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        width: config.vpgs.length === 1 ? WIDTH : WIDTH / 2,
        height: 6,
      });
    });
    this.dashboard.addWidgets(...rpoGraphs);

    const failedExecutions = config.vpgs.map(
      (v) =>
        new cw.Metric({
          namespace: 'AWS/States',
          metricName: 'ExecutionsFailed',
          dimensionsMap: { StateMachineArn: stateMachineArnByName(this, syncStateMachineName(site, v.name)) },
          statistic: cw.Stats.SUM,
          period: HOUR,
          label: `${v.name} failed executions`,
        }),
    );
    this.dashboard.addWidgets(
      new cw.GraphWidget({ title: 'Sync duration (seconds)', left: perVpg('SyncDurationSeconds', cw.Stats.MAXIMUM, HOUR), width: 12, height: 6 }),
      new cw.GraphWidget({
        title: 'Bytes read / stored per hour',
        left: perVpg('BytesRead', cw.Stats.SUM, HOUR),
        right: perVpg('BytesStored', cw.Stats.SUM, HOUR),
        width: 12,
        height: 6,
      }),
      new cw.GraphWidget({ title: 'Blocks changed per hour', left: perVpg('BlocksChanged', cw.Stats.SUM, HOUR), width: 8, height: 6 }),
      new cw.GraphWidget({
        title: 'Failures per hour',
        left: [...perVpg('SyncFailures', cw.Stats.SUM, HOUR), ...failedExecutions],
        width: 8,
        height: 6,
      }),
      new cw.GraphWidget({
        title: 'Running executions',
        left: [...perVpg('RunningSyncs', cw.Stats.MAXIMUM), ...perVpg('RunningFailbacks', cw.Stats.MAXIMUM)],
        width: 8,
        height: 6,
      }),
    );
  }
}
