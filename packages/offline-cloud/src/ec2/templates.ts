/** Launch templates and their versions: what RunInstances launches from. */
import { AwsError } from '../service';
import { describe } from './describe';
import type { FieldMap } from './filters';
import { newId } from './ids';
import { readBlockDevices, renderBlockDevice } from './images';
import { type LaunchTemplateData, type LaunchTemplateRecord, type LaunchTemplateVersionRecord, type NetworkInterfaceSpec, mergeTags } from './model';
import { groupIdList } from './network';
import { type Query, readTagSpecs } from './query';
import { type ActionHandler, type World, nowIso, priorResult, rememberResult, tagsFromSpecs, validateTags } from './world';
import { type XmlObject, renderTags } from './xml';

const NAME_RE = /^[a-zA-Z0-9().\-/_]{3,128}$/;

export function readNetworkInterfaces(q: Query, name: string): NetworkInterfaceSpec[] {
  return q.structs(name).map((n, i) => ({
    deviceIndex: n.int('DeviceIndex') ?? i,
    subnetId: n.str('SubnetId'),
    groups: n.list('SecurityGroupId'),
    privateIpAddress: n.str('PrivateIpAddress'),
    deleteOnTermination: n.bool('DeleteOnTermination'),
    associatePublicIpAddress: n.bool('AssociatePublicIpAddress'),
    description: n.str('Description'),
  }));
}

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_RequestLaunchTemplateData.html: stop | terminate. */
export function shutdownBehavior(value: string | undefined): 'stop' | 'terminate' | undefined {
  if (value === undefined || value === 'stop' || value === 'terminate') return value;
  throw new AwsError(
    'InvalidParameterValue',
    `Value (${value}) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values are 'stop' and 'terminate'.`,
  );
}

function readTemplateData(d: Query): LaunchTemplateData {
  const md = d.sub('MetadataOptions');
  const tagSpecifications = readTagSpecs(d);
  for (const s of tagSpecifications) validateTags(s.tags);
  return {
    imageId: d.str('ImageId'),
    instanceType: d.str('InstanceType'),
    userData: d.str('UserData'),
    securityGroupIds: d.list('SecurityGroupId'),
    networkInterfaces: readNetworkInterfaces(d, 'NetworkInterface'),
    blockDeviceMappings: readBlockDevices(d),
    tagSpecifications,
    metadataOptions: d.has('MetadataOptions')
      ? {
          httpTokens: md.str('HttpTokens'),
          httpEndpoint: md.str('HttpEndpoint'),
          httpPutResponseHopLimit: md.int('HttpPutResponseHopLimit'),
          instanceMetadataTags: md.str('InstanceMetadataTags'),
        }
      : undefined,
    iamInstanceProfile: d.has('IamInstanceProfile') ? { arn: d.str('IamInstanceProfile.Arn'), name: d.str('IamInstanceProfile.Name') } : undefined,
    availabilityZone: d.str('Placement.AvailabilityZone'),
    instanceInitiatedShutdownBehavior: shutdownBehavior(d.str('InstanceInitiatedShutdownBehavior')),
  };
}

function renderTemplateData(data: LaunchTemplateData): XmlObject {
  const md = data.metadataOptions;
  return {
    imageId: data.imageId,
    instanceType: data.instanceType,
    userData: data.userData,
    instanceInitiatedShutdownBehavior: data.instanceInitiatedShutdownBehavior,
    securityGroupIdSet: data.securityGroupIds.length ? data.securityGroupIds : undefined,
    networkInterfaceSet: data.networkInterfaces.length
      ? data.networkInterfaces.map((n) => ({
          deviceIndex: n.deviceIndex,
          subnetId: n.subnetId,
          groupSet: n.groups.length ? groupIdList(n.groups) : undefined,
          privateIpAddress: n.privateIpAddress,
          deleteOnTermination: n.deleteOnTermination,
          associatePublicIpAddress: n.associatePublicIpAddress,
          description: n.description,
        }))
      : undefined,
    blockDeviceMappingSet: data.blockDeviceMappings.length ? data.blockDeviceMappings.map(renderBlockDevice) : undefined,
    tagSpecificationSet: data.tagSpecifications.length
      ? data.tagSpecifications.map((s) => ({ resourceType: s.resourceType, tagSet: renderTags(s.tags) }))
      : undefined,
    metadataOptions: md && {
      state: 'applied',
      httpTokens: md.httpTokens,
      httpPutResponseHopLimit: md.httpPutResponseHopLimit,
      httpEndpoint: md.httpEndpoint,
      instanceMetadataTags: md.instanceMetadataTags,
    },
    iamInstanceProfile: data.iamInstanceProfile,
    placement: data.availabilityZone ? { availabilityZone: data.availabilityZone } : undefined,
  };
}

function renderTemplate(w: World, t: LaunchTemplateRecord): XmlObject {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    createTime: t.createTime,
    createdBy: `arn:aws:iam::${w.ctx.accountId}:root`,
    defaultVersionNumber: t.defaultVersion,
    latestVersionNumber: t.versions.at(-1)!.versionNumber,
    tagSet: renderTags(t.tags),
  };
}

function renderVersion(w: World, t: LaunchTemplateRecord, v: LaunchTemplateVersionRecord): XmlObject {
  return {
    launchTemplateId: t.launchTemplateId,
    launchTemplateName: t.launchTemplateName,
    versionNumber: v.versionNumber,
    versionDescription: v.description,
    createTime: v.createTime,
    createdBy: `arn:aws:iam::${w.ctx.accountId}:root`,
    defaultVersion: v.versionNumber === t.defaultVersion,
    launchTemplateData: renderTemplateData(v.data),
  };
}

/** The template named by id or name (exactly one), with AWS's error for each. */
export function findTemplate(w: World, id: string | undefined, name: string | undefined): LaunchTemplateRecord {
  if (id !== undefined && name !== undefined) {
    throw new AwsError('InvalidParameterCombination', 'Specify either the launch template ID or name, not both.');
  }
  if (id !== undefined) {
    const t = w.model.launchTemplates[id];
    if (!t) throw new AwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    return t;
  }
  if (name !== undefined) {
    const t = Object.values(w.model.launchTemplates).find((x) => x.launchTemplateName === name);
    if (!t) {
      throw new AwsError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    }
    return t;
  }
  throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateId or LaunchTemplateName');
}

/** '$Default' (or none), '$Latest', or a version number. */
export function findVersion(t: LaunchTemplateRecord, version: string | undefined): LaunchTemplateVersionRecord {
  const n = version === undefined || version === '$Default' ? t.defaultVersion : version === '$Latest' ? t.versions.at(-1)!.versionNumber : Number(version);
  const v = t.versions.find((x) => x.versionNumber === n);
  if (!v) {
    throw new AwsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${version} for template ${t.launchTemplateId}`);
  }
  return v;
}

export const createLaunchTemplate: ActionHandler = (q, w) => {
  const prior = priorResult(w, 'CreateLaunchTemplate', q);
  if (prior && w.model.launchTemplates[prior]) return { launchTemplate: renderTemplate(w, w.model.launchTemplates[prior]) };
  const name = q.required('LaunchTemplateName');
  if (!NAME_RE.test(name)) throw new AwsError('InvalidLaunchTemplateName.MalformedException', `Launch template name ${name} is malformed.`);
  if (Object.values(w.model.launchTemplates).some((t) => t.launchTemplateName === name)) {
    throw new AwsError('InvalidLaunchTemplateName.AlreadyExistsException', `Launch template name already in use.`);
  }
  if (!q.has('LaunchTemplateData')) throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
  const now = w.ctx.clock.now();
  const t: LaunchTemplateRecord = {
    launchTemplateId: newId('lt'),
    launchTemplateName: name,
    createTime: new Date(now).toISOString(),
    createdAt: now,
    defaultVersion: 1,
    tags: mergeTags([], tagsFromSpecs(readTagSpecs(q), 'launch-template', ['launch-template'])),
    versions: [{ versionNumber: 1, description: q.str('VersionDescription'), createTime: nowIso(w), data: readTemplateData(q.sub('LaunchTemplateData')) }],
  };
  w.model.launchTemplates[t.launchTemplateId] = t;
  rememberResult(w, 'CreateLaunchTemplate', q, t.launchTemplateId);
  w.ctx.markDirty();
  return { launchTemplate: renderTemplate(w, t) };
};

export const createLaunchTemplateVersion: ActionHandler = (q, w) => {
  const t = findTemplate(w, q.str('LaunchTemplateId'), q.str('LaunchTemplateName'));
  const source = q.str('SourceVersion');
  const base = source !== undefined ? findVersion(t, source).data : undefined;
  const data = readTemplateData(q.sub('LaunchTemplateData'));
  const merged: LaunchTemplateData = base ? mergeTemplateData(base, data) : data;
  const v = { versionNumber: t.versions.at(-1)!.versionNumber + 1, description: q.str('VersionDescription'), createTime: nowIso(w), data: merged };
  t.versions.push(v);
  w.ctx.markDirty();
  return { launchTemplateVersion: renderVersion(w, t, v) };
};

/** SourceVersion semantics: what the new version names replaces the source's, the rest is inherited. */
function mergeTemplateData(base: LaunchTemplateData, over: LaunchTemplateData): LaunchTemplateData {
  const pick = <T>(a: T[], b: T[]) => (b.length ? b : a);
  return {
    ...base,
    ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined && !Array.isArray(v))),
    securityGroupIds: pick(base.securityGroupIds, over.securityGroupIds),
    networkInterfaces: pick(base.networkInterfaces, over.networkInterfaces),
    blockDeviceMappings: pick(base.blockDeviceMappings, over.blockDeviceMappings),
    tagSpecifications: pick(base.tagSpecifications, over.tagSpecifications),
  };
}

export const deleteLaunchTemplate: ActionHandler = (q, w) => {
  const t = findTemplate(w, q.str('LaunchTemplateId'), q.str('LaunchTemplateName'));
  delete w.model.launchTemplates[t.launchTemplateId];
  w.ctx.markDirty();
  return { launchTemplate: renderTemplate(w, t) };
};

const FIELDS: FieldMap<LaunchTemplateRecord> = {
  'launch-template-name': (t) => t.launchTemplateName,
  'create-time': (t) => t.createTime,
};

export const describeLaunchTemplates: ActionHandler = (q, w) => {
  const names = q.list('LaunchTemplateName');
  const all = Object.values(w.model.launchTemplates);
  const missing = names.filter((n) => !all.some((t) => t.launchTemplateName === n));
  if (missing.length) {
    throw new AwsError('InvalidLaunchTemplateName.NotFoundException', `At least one of the launch templates specified in the request does not exist.`);
  }
  const page = describe(q, w, {
    all: names.length ? all.filter((t) => names.includes(t.launchTemplateName)) : all,
    idOf: (t) => t.launchTemplateId,
    tagsOf: (t) => t.tags,
    fields: FIELDS,
    limits: { min: 1, max: 200 },
    idParam: 'LaunchTemplateId',
    notFound: (ids) => new AwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${ids.join(',')}, does not exist.`),
    createdAt: (t) => t.createdAt,
  });
  return { launchTemplates: page.items.map((t) => renderTemplate(w, t)), nextToken: page.nextToken };
};

export const describeLaunchTemplateVersions: ActionHandler = (q, w) => {
  const id = q.str('LaunchTemplateId');
  const name = q.str('LaunchTemplateName');
  const templates = id !== undefined || name !== undefined ? [findTemplate(w, id, name)] : Object.values(w.model.launchTemplates);
  const asked = q.list('LaunchTemplateVersion');
  const min = q.int('MinVersion');
  const max = q.int('MaxVersion');
  const rows: Array<[LaunchTemplateRecord, LaunchTemplateVersionRecord]> = [];
  for (const t of templates) {
    const versions = asked.length ? asked.map((v) => findVersion(t, v)) : t.versions;
    for (const v of versions) {
      if ((min === undefined || v.versionNumber >= min) && (max === undefined || v.versionNumber <= max)) rows.push([t, v]);
    }
  }
  const page = describe(q, w, {
    all: rows,
    idOf: ([t, v]) => `${t.launchTemplateId}:${v.versionNumber}`,
    tagsOf: () => [],
    fields: { 'is-default-version': ([t, v]) => t.defaultVersion === v.versionNumber, 'image-id': ([, v]) => v.data.imageId },
    limits: { min: 1, max: 200 },
  });
  return { launchTemplateVersionSet: page.items.map(([t, v]) => renderVersion(w, t, v)), nextToken: page.nextToken };
};
