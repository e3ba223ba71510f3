/**
 * An alarm's StateReason and StateReasonData after an evaluation, in the shape CloudWatch writes them (the text is
 * not specified by AWS; this follows what its alarms show: "Threshold Crossed: 2 out of the last 2 datapoints
 * [7500.0 (08/12/26 02:15:00), …] were greater than the threshold (1800.0) …", and a JSON StateReasonData with the
 * evaluated datapoints). Pure.
 */
import type { AlarmCondition, Evaluation } from './alarm-evaluation';

const PHRASE: Record<AlarmCondition['comparison'], string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** CloudWatch prints doubles as Java does: 1800.0, 0.5. */
export const double = (v: number) => (Number.isInteger(v) ? v.toFixed(1) : String(v));

/** dd/MM/yy HH:mm:ss in UTC, as the reasons print a datapoint's time. */
function when(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${two(d.getUTCMonth() + 1)}/${two(d.getUTCFullYear() % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function stateReason(e: Evaluation, c: AlarmCondition, from: string): string {
  if (e.state === 'INSUFFICIENT_DATA') {
    const unknown = c.evaluationPeriods - e.evaluated.length;
    return `Insufficient Data: ${plural(unknown, 'datapoint')} ${unknown === 1 ? 'was' : 'were'} unknown.`;
  }
  const threshold = double(c.threshold);
  const toAlarm = e.state === 'ALARM';
  const needed = toAlarm ? c.datapointsToAlarm : c.evaluationPeriods - c.datapointsToAlarm + 1;
  const transition = ` (minimum ${plural(needed, 'datapoint')} for ${from} -> ${e.state} transition).`;
  const treatedAs = c.treatMissingData === 'breaching' ? 'Breaching' : 'NonBreaching';
  if (e.evaluated.length === 0)
    return `Threshold Crossed: no datapoints were received for ${plural(c.evaluationPeriods, 'period')} and ${plural(e.filled, 'missing datapoint')} ${e.filled === 1 ? 'was' : 'were'} treated as [${treatedAs}].`;
  const counted = toAlarm ? e.breaching - (c.treatMissingData === 'breaching' ? e.filled : 0) : e.evaluated.length - e.breaching;
  const shown = e.evaluated.map((d) => `${double(d.value)} (${when(d.start)})`).join(', ');
  const verb = counted === 1 ? 'was' : 'were';
  const compared = toAlarm ? PHRASE[c.comparison] : `not ${PHRASE[c.comparison]}`;
  const filled = e.filled > 0 ? ` and ${plural(e.filled, 'missing datapoint')} ${e.filled === 1 ? 'was' : 'were'} treated as [${treatedAs}]` : '';
  return `Threshold Crossed: ${counted} out of the last ${plural(e.evaluated.length, 'datapoint')} [${shown}] ${verb} ${compared} the threshold (${threshold})${filled}${transition}`;
}

export function stateReasonData(e: Evaluation, c: AlarmCondition, q: { now: number; startDate: number; statistic: string; periodSeconds: number }): string {
  return JSON.stringify({
    version: '1.0',
    queryDate: new Date(q.now).toISOString().replace('Z', '+0000'),
    startDate: new Date(q.startDate).toISOString().replace('Z', '+0000'),
    statistic: q.statistic,
    period: q.periodSeconds,
    recentDatapoints: e.evaluated.map((d) => d.value).reverse(),
    threshold: c.threshold,
    evaluatedDatapoints: e.evaluated.map((d) => ({
      timestamp: new Date(d.start).toISOString().replace('Z', '+0000'),
      sampleCount: d.sampleCount,
      value: d.value,
    })),
  });
}
