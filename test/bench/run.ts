/**
 * `npm run bench [-- --quick] [-- --json FILE]`: every figure of issue 6 with its baseline and ratio,
 * measured in one run on this machine. See docs/performance.md for what each figure means.
 */
import fs from 'node:fs';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { benchPipelines, type PipelineFigures } from './pipeline.bench';
import { benchScaleOut, benchSyncs, SCALE_OUT_TIME_SCALE, SCALE_OUT_VOLUMES_PER_ZSAT, type ScaleOutRun } from './sync.bench';
import { AWS_TIMINGS } from '@lifeboat/offline-cloud/src/aws-timings';
import { DRS_ASSUMPTIONS, ISSUE_WORKLOAD, changedBytesPerSync, drsMonthly, lifeboatMonthly } from './cost-model';
import { benchJson, formatSheet } from './report';
import { benchColdStarts, formatTotals } from './cold-start.bench';
import { formatSamples, ratio } from './figures';
import { PACK_TARGET_BYTES } from '../../runtime/core/store/format';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const MiB = 1024 * 1024;

function args(argv: readonly string[]): { quick: boolean; json: string | null } {
  const i = argv.indexOf('--json');
  if (i >= 0 && !argv[i + 1]) throw new Error('--json needs a file name');
  return { quick: argv.includes('--quick'), json: i >= 0 ? argv[i + 1] : null };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main(): Promise<void> {
  const { quick, json } = args(process.argv.slice(2));
  const started = Date.now();
  log(`Lifeboat bench (${quick ? 'quick' : 'full'}): ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? '?'}, load ${load()}`);

  log('\n1-2. Agent pipelines (device → hash → packs → store; store → verify → device)');
  const p = await benchPipelines({ volumeBytes: (quick ? 512 : 2048) * MiB, runs: quick ? 3 : 5, blockDevice: !quick, log: (l) => log(`  ${l}`) });
  const opensslVersion = execFileSync('openssl', ['version']).toString().trim();
  log(`  baseline openssl dgst -sha256 (${opensslVersion}, one core): ${formatSamples(p.openssl)}`);
  log(`  baseline cat > /dev/null:                            ${formatSamples(p.cat)}`);
  log(
    `  agent read → null S3 sink:  ${formatSamples(p.read)}  = ${ratio(p.read.best, p.openssl.best)}× OpenSSL (target ≥ 1.5×); peak RSS ${p.readPeakRssMiB.toFixed(0)} MiB`,
  );
  log(
    `    (sink: the agent's real S3 client and S3ReplicaStore, every request serialized and signed, every body consumed; no socket, no TLS) ${p.sinkPuts} PUTs`,
  );
  log(`  agent read → offline cloud (s3rver over HTTP): ${formatSamples(p.readOfflineCloud)}  = ${ratio(p.readOfflineCloud.best, p.openssl.best)}× OpenSSL`);
  log(
    `  importer (ranged GETs → verify → target file in RAM, fsync): ${formatSamples(p.importer)}  = ${ratio(p.importer.best, p.openssl.best)}× OpenSSL (target ≥ 1.5×); peak RSS ${p.importPeakRssMiB.toFixed(0)} MiB (store's held bytes excluded)`,
  );
  const onDevice = (r: PipelineFigures['importToBlockDevice']['direct']) =>
    'unavailable' in r
      ? `not measured (${r.unavailable})`
      : `${r.mibs.toFixed(0)} MiB/s, ${r.cpuSecondsPerGiB.toFixed(2)} CPU-s/GiB (whole machine, kernel threads included: ${r.machineCpuSecondsPerGiB.toFixed(2)})`;
  log(
    `  importer onto a new block device (loop over this VM's disk, byte-checked): O_DIRECT ${onDevice(p.importToBlockDevice.direct)}; through the page cache ${onDevice(p.importToBlockDevice.pageCache)}`,
  );
  log(
    `  importer onto /dev/null (its own work: GETs, copy, verify, write calls; the device costs nothing): ${formatSamples(p.importToNull)}  = ${ratio(p.importToNull.best, p.openssl.best)}× OpenSSL`,
  );
  log(
    `  importer onto this VM's disk (a new file, ${p.importToDiskDirectIo ? 'O_DIRECT' : 'page cache: the filesystem refuses O_DIRECT'}): ${formatSamples(p.importToDisk)}; the disk's own limit (dd conv=fsync): ${formatSamples(p.diskWrite)}`,
  );
  const cpu = p.cpuSecondsPerGiB;
  log(
    `  CPU cost (user + system, all threads, best run): openssl ${cpu.openssl.toFixed(2)} s/GiB, agent read ${cpu.read.toFixed(2)} s/GiB, importer ${cpu.importer.toFixed(2)} s/GiB (onto /dev/null ${cpu.importerToNull.toFixed(2)})`,
  );
  log(
    `    on an idle ${os.availableParallelism()}-core machine that bounds the read at ${((os.availableParallelism() * 1024) / cpu.read).toFixed(0)} MiB/s = ${ratio(os.availableParallelism() / cpu.read, 1 / cpu.openssl)}× OpenSSL's one core (a bound, not a measurement)`,
  );
  log(`  load after: ${load()}`);

  const sizes = quick ? [1, 4] : [1, 10, 50];
  log(`\n3-4. Syncs through the synthesized state machine on the offline cloud (VPGs of ${sizes.join(', ')} instances × 1 data volume + root)`);
  const s = await benchSyncs({ sizes, rounds: quick ? 2 : 3, log: (l) => log(`  ${l}`) });
  const inc = s.incremental;
  log(
    `  incremental efficiency: ${inc.blocksRead} blocks read ÷ ${inc.blocksChanged} changed over ${inc.syncs} syncs = ${ratio(inc.blocksRead, inc.blocksChanged).toFixed(2)} (target 1.00)`,
  );
  log(
    `  stored ÷ read: ${(inc.bytesStored / MiB).toFixed(1)} MiB ÷ ${(inc.bytesRead / MiB).toFixed(1)} MiB = ${ratio(inc.bytesStored, inc.bytesRead).toFixed(2)} (dedup + zero elision)`,
  );
  log(`  orchestration per incremental sync (polls: the real handlers on a virtual clock at AWS's times, 30 s poll; see docs/performance.md):`);
  const one = s.costs['1'];
  for (const n of sizes) {
    const c = s.costs[String(n)];
    log(
      `    ${String(n).padStart(2)} instances (${2 * n} volumes, ${c.zsats} zSATs): ${c.transitionsAws} transitions in AWS (${c.awsPolls.snapshots} snapshot polls + ${c.awsPolls.perZsat} per zSAT; offline: ${c.transitions} with ${c.polls} polls); ${c.lambdaInvocationsAws} Lambda invocations in AWS; requests ${JSON.stringify(c.byService)}`,
    );
  }
  for (const n of sizes.slice(1)) {
    const c = s.costs[String(n)];
    const extraVolumes = 2 * (n - 1);
    log(
      `    growth 1 → ${n}: ${((c.transitionsAws - one.transitionsAws) / extraVolumes).toFixed(1)} transitions per extra volume (target ≤ 8; base ${one.transitionsAws}, target ≤ 40)`,
    );
  }

  let scaleOutSeconds: Record<string, number> | null = null;
  let scaleOutSyncSeconds: Record<string, number> | null = null;
  if (!quick) {
    log(`\n5. Scale-out: a 50-instance VPG (50 data volumes, ${SCALE_OUT_VOLUMES_PER_ZSAT} per zSAT → 13 zSATs), first sync, with 1, 4 and 16 zSATs at once`);
    const awsTimes = Object.entries(AWS_TIMINGS)
      .map(([k, v]) => `${k.replace('Ms', '')} ${v / 1000} s`)
      .join(', ');
    log(`  EC2 on AWS's times (${awsTimes}) and 30 s polls, on the cloud clock at ${SCALE_OUT_TIME_SCALE}× (figures in AWS seconds)`);
    const runs: ScaleOutRun[] = [];
    for (const m of [1, 4, 16]) runs.push(await benchScaleOut({ instances: 50, maxZsats: m, log: (l) => log(`  ${l}`) }));
    scaleOutSeconds = Object.fromEntries(runs.map((r) => [String(r.maxZsats), r.zsatPhaseSeconds]));
    scaleOutSyncSeconds = Object.fromEntries(runs.map((r) => [String(r.maxZsats), r.syncSeconds]));
    log(
      `  zSAT phase 16 vs 1 = ${ratio(scaleOutSeconds['1'], scaleOutSeconds['16'])}× (target ≥ 8×); 4 vs 1 = ${ratio(scaleOutSeconds['1'], scaleOutSeconds['4'])}×`,
    );
    log(`  whole sync (snapshots, plan, commit and cleanup included) 16 vs 1 = ${ratio(scaleOutSyncSeconds['1'], scaleOutSyncSeconds['16'])}×`);
    log(
      `  offline cloud limits: ${os.availableParallelism()} cores shared by every zSAT's agent process (one Node process per zSAT, each with a hash pool of ${os.availableParallelism()} threads), the Step Functions emulator, the Lambda workers and s3rver; in AWS each zSAT is its own instance`,
    );
  } else log('\n5. Scale-out: skipped in --quick (three 50-instance deployments)');

  // 6. Cost model from the 1-instance VPG's incremental sync (one zSAT), scaled to the issue's server.
  const deltaMiB = (changedBytesPerSync(ISSUE_WORKLOAD) / MiB) * ratio(inc.bytesStored, inc.bytesRead);
  const packPuts = 2 * Math.ceil(deltaMiB / (PACK_TARGET_BYTES / MiB));
  const counted = one.requests;
  const sum = (prefix: string) =>
    Object.entries(counted)
      .filter(([k]) => k.startsWith(prefix))
      .reduce((a, [, v]) => a + v, 0);
  const lifeboat = lifeboatMonthly(ISSUE_WORKLOAD, {
    transitions: one.transitionsAws,
    lambdaInvocations: one.lambdaInvocationsAws,
    lambdaSecondsEach: 1,
    lambdaMemoryGb: 0.5,
    zsats: 1,
    zsatBootSeconds: 45,
    readMiBs: Math.min(p.read.best, 156), // c6i.large EBS baseline: 1,250 Mbps ≈ 156 MiB/s
    s3Puts: sum('s3:PUT') + packPuts,
    s3Gets: sum('s3:GET') + sum('s3:LIST'),
    ebsListCalls: sum('ebs:List'),
    ebsGetCalls: sum('ebs:GetSnapshotBlock'),
    storedVsRead: ratio(inc.bytesStored, inc.bytesRead),
  });
  const drs = drsMonthly(ISSUE_WORKLOAD, DRS_ASSUMPTIONS);
  log(`\n6. Cost of protecting one server (2 × 100 GiB, 5% daily change, 15-minute syncs), us-east-1 list prices`);
  for (const line of formatSheet('  Lifeboat', lifeboat)) log(line);
  for (const line of formatSheet(
    `  AWS DRS (replication server shared by ${DRS_ASSUMPTIONS.serversPerReplicationServer}, ${DRS_ASSUMPTIONS.snapshotRetentionDays}-day PIT snapshots)`,
    drs,
  ))
    log(line);
  log(`  Lifeboat ÷ DRS = ${ratio(lifeboat.totalUsd, drs.totalUsd)} (target ≤ 0.5)`);

  log(
    "\n7. Lambda cold starts: each function's bundle (as `cdk synth` builds it) and its cold start in a fresh node, against the old bundling built now (unminified, CommonJS SDK, every client, source maps parsed at start)",
  );
  const cold = await benchColdStarts({ samples: quick ? 3 : 7, log: (l) => log(`  ${l}`) });
  log(`  ${formatTotals(cold)}`);

  const out = benchJson(
    {
      readMiBs: p.read.best,
      importMiBs: p.importer.best,
      opensslMiBs: p.openssl.best,
      blocksRead: inc.blocksRead,
      blocksChanged: inc.blocksChanged,
      bytesStored: inc.bytesStored,
      bytesRead: inc.bytesRead,
      transitionsPerSync: Object.fromEntries(sizes.map((n) => [String(n), s.costs[String(n)].transitionsAws])),
      scaleOutSeconds,
      lifeboat,
      drs,
    },
    {
      quick,
      load: os.loadavg(),
      catMiBs: Math.round(p.cat.best),
      importMiBs: Math.round(p.importer.best),
      importToDiskMiBs: Math.round(p.importToDisk.best),
      importToNullMiBs: Math.round(p.importToNull.best),
      importToNullVsOpenssl: ratio(p.importToNull.best, p.openssl.best),
      importToBlockDevice: p.importToBlockDevice,
      diskWriteMiBs: Math.round(p.diskWrite.best),
      agentReadOfflineCloudMiBs: Math.round(p.readOfflineCloud.best),
      readPeakRssMiB: Math.round(p.readPeakRssMiB),
      cpuSecondsPerGiB: p.cpuSecondsPerGiB,
      transitionsOffline: Object.fromEntries(sizes.map((n) => [String(n), s.costs[String(n)].transitions])),
      awsPollsPerSync: Object.fromEntries(sizes.map((n) => [String(n), s.costs[String(n)].awsPolls])),
      scaleOutZsatPhaseSeconds: scaleOutSeconds,
      scaleOutSyncSeconds,
      scaleOutSync16vs1: scaleOutSyncSeconds ? ratio(scaleOutSyncSeconds['1'], scaleOutSyncSeconds['16']) : null,
      lambdaBundleBytes: Object.fromEntries(cold.map((f) => [f.fn, f.current.bytes])),
      lambdaColdStartMs: Object.fromEntries(cold.map((f) => [f.fn, Math.round(f.current.coldMs)])),
      lambdaColdStartVsBaseline: Object.fromEntries(cold.map((f) => [f.fn, ratio(f.current.coldMs, f.baseline.coldMs)])),
    },
  );
  if (json) fs.writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
  log(`\ndone in ${((Date.now() - started) / 1000).toFixed(0)} s${json ? `; figures written to ${json}` : ''}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
