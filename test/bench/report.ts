/** The benchmark's JSON (fixed keys) and its printed cost sheets: pure, so jest can check them. */
import type { CostSheet } from './cost-model';
import { ratio } from './figures';

export interface BenchJson {
  agentReadMiBs: number;
  opensslSha256MiBs: number;
  agentVsOpenssl: number;
  importVsOpenssl: number;
  incrementalReadRatio: number | null;
  storedVsReadRatio: number | null;
  transitionsPerSync: Record<string, number>;
  scaleOut16vs1: number | null;
  costPerServerMonthUsd: number;
  drsPerServerMonthUsd: number;
  [more: string]: unknown;
}

export const REQUIRED_KEYS = [
  'agentReadMiBs',
  'opensslSha256MiBs',
  'agentVsOpenssl',
  'importVsOpenssl',
  'incrementalReadRatio',
  'storedVsReadRatio',
  'transitionsPerSync',
  'scaleOut16vs1',
  'costPerServerMonthUsd',
  'drsPerServerMonthUsd',
] as const;

export interface Measured {
  readMiBs: number;
  importMiBs: number;
  opensslMiBs: number;
  blocksRead: number | null;
  blocksChanged: number | null;
  bytesStored: number | null;
  bytesRead: number | null;
  transitionsPerSync: Record<string, number>;
  scaleOutSeconds: Record<string, number> | null;
  lifeboat: CostSheet;
  drs: CostSheet;
}

const cents = (usd: number) => Math.round(usd * 100) / 100;

export function benchJson(m: Measured, extra: Record<string, unknown> = {}): BenchJson {
  const s = m.scaleOutSeconds;
  return {
    agentReadMiBs: Math.round(m.readMiBs),
    opensslSha256MiBs: Math.round(m.opensslMiBs),
    agentVsOpenssl: ratio(m.readMiBs, m.opensslMiBs),
    importVsOpenssl: ratio(m.importMiBs, m.opensslMiBs),
    incrementalReadRatio: m.blocksRead !== null && m.blocksChanged ? ratio(m.blocksRead, m.blocksChanged) : null,
    storedVsReadRatio: m.bytesStored !== null && m.bytesRead ? ratio(m.bytesStored, m.bytesRead) : null,
    transitionsPerSync: m.transitionsPerSync,
    scaleOut16vs1: s && s['16'] && s['1'] ? ratio(s['1'], s['16']) : null,
    costPerServerMonthUsd: cents(m.lifeboat.totalUsd),
    drsPerServerMonthUsd: cents(m.drs.totalUsd),
    ...extra,
  };
}

export function formatSheet(title: string, sheet: CostSheet): string[] {
  const lines = [title];
  for (const l of sheet.lines) lines.push(`    ${l.item.padEnd(58)} $${l.usd.toFixed(2).padStart(7)}   ${l.basis}`);
  lines.push(`    ${'total per month'.padEnd(58)} $${sheet.totalUsd.toFixed(2).padStart(7)}`);
  return lines;
}
