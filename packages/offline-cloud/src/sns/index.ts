/**
 * SNS as the edge serves it (Query protocol, XML in the 2010-03-31 namespace:
 * https://docs.aws.amazon.com/sns/latest/api/Welcome.html), one topic store per account and region: topics with
 * their attributes, tags and policy, subscriptions (pending until confirmed where SNS asks a confirmation),
 * Publish recorded. A deployed role is evaluated for sns:<Action> on the topic, with the topic's policy as its
 * resource policy (https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html);
 * a denial is AuthorizationError (403). No message is delivered: `GET /_lifeboat/sns/messages?topicArn=…` shows
 * what was published, `POST /_lifeboat/sns/confirm {"topicArn","endpoint"}` confirms a pending subscription as
 * the link in its mail would.
 */
import { randomUUID } from 'node:crypto';
import { AccountRegionStores, keyOf } from '../account-regions';
import type { CloudContext } from '../context';
import type { PathRoute } from '../edge';
import { escapeXml } from '../ec2/xml';
import { evaluate } from '../iam/evaluate';
import type { PolicyDocument } from '../iam/registry';
import { callerOf } from '../kms/index';
import { AwsError, type CloudRequest, type CloudResponse, type Service } from '../service';
import { SnsTopics, type SnsState, type SubscriptionRecord, type TopicRecord } from './sns-topics';

const XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const PAGE = 100;

type Xml = string | number | boolean | undefined | Xml[] | { [k: string]: Xml };
/** A Query-protocol map, rendered as entries. */
class MapEntries {
  constructor(readonly pairs: Array<[string, string]>) {}
}

function render(value: Xml): string {
  if (value === undefined) return '';
  if (value instanceof MapEntries) return value.pairs.map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`).join('');
  if (Array.isArray(value)) return value.map((v) => `<member>${render(v)}</member>`).join('');
  if (typeof value === 'object')
    return Object.entries(value)
      .map(([k, v]) => (v === undefined ? '' : `<${k}>${render(v)}</${k}>`))
      .join('');
  return escapeXml(String(value));
}

function params(req: CloudRequest): URLSearchParams {
  const p = new URLSearchParams(req.query);
  new URLSearchParams(req.body.toString('utf8')).forEach((v, k) => p.set(k, v));
  return p;
}

/** `Attributes.entry.N.key/value` and `Tags.member.N.Key/Value` as the Query protocol spells maps and lists. */
function entries(p: URLSearchParams, prefix: string, key: string, value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; p.has(`${prefix}.${i}.${key}`); i++) out[p.get(`${prefix}.${i}.${key}`)!] = p.get(`${prefix}.${i}.${value}`) ?? '';
  return out;
}

function topicAttributes(t: TopicRecord, account: string): Record<string, string> {
  const count = (pred: (s: SubscriptionRecord) => boolean) => String(t.subscriptions.filter(pred).length);
  return {
    TopicArn: t.arn,
    Owner: account,
    DisplayName: '',
    SubscriptionsConfirmed: count((s) => s.confirmed),
    SubscriptionsPending: count((s) => !s.confirmed),
    SubscriptionsDeleted: '0',
    ...t.attributes,
  };
}

function page<T>(items: T[], token: string | null): { items: T[]; next?: string } {
  const start = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidParameter', 'Invalid parameter: NextToken');
  const next = start + PAGE < items.length ? Buffer.from(String(start + PAGE)).toString('base64url') : undefined;
  return { items: items.slice(start, start + PAGE), next };
}

const subscriptionXml = (topicArn: string, account: string, s: SubscriptionRecord): Xml => ({
  SubscriptionArn: s.confirmed ? s.arn : 'PendingConfirmation',
  Owner: account,
  Protocol: s.protocol,
  Endpoint: s.endpoint,
  TopicArn: topicArn,
});

type Operation = (p: URLSearchParams, topics: SnsTopics, account: string) => Xml;

const OPERATIONS: Record<string, Operation> = {
  CreateTopic: (p, topics) => ({
    TopicArn: topics.create(p.get('Name') ?? '', entries(p, 'Attributes.entry', 'key', 'value'), entries(p, 'Tags.member', 'Key', 'Value')).arn,
  }),
  DeleteTopic: (p, topics) => (topics.delete(p.get('TopicArn') ?? ''), undefined),
  ListTopics: (p, topics) => {
    const { items, next } = page(topics.list(), p.get('NextToken'));
    return { Topics: items.map((t) => ({ TopicArn: t.arn })), NextToken: next };
  },
  // a map is <entry><key/><value/></entry>, not a list of <member>
  GetTopicAttributes: (p, topics, account) => ({
    Attributes: new MapEntries(Object.entries(topicAttributes(topics.topic(p.get('TopicArn') ?? ''), account))) as unknown as Xml,
  }),
  SetTopicAttributes: (p, topics) => {
    const topic = topics.topic(p.get('TopicArn') ?? '');
    const name = p.get('AttributeName');
    if (!name) throw new AwsError('InvalidParameter', 'Invalid parameter: AttributeName');
    topic.attributes[name] = p.get('AttributeValue') ?? '';
    return undefined;
  },
  Subscribe: (p, topics) => {
    const topicArn = p.get('TopicArn') ?? '';
    const sub = topics.subscribe(topicArn, p.get('Protocol') ?? '', p.get('Endpoint') ?? '');
    const returnArn = p.get('ReturnSubscriptionArn') === 'true';
    return { SubscriptionArn: sub.confirmed || returnArn ? sub.arn : 'pending confirmation' };
  },
  ConfirmSubscription: (p, topics) => ({ SubscriptionArn: topics.confirm(p.get('TopicArn') ?? '', p.get('Token') ?? '').arn }),
  Unsubscribe: (p, topics) => (topics.unsubscribe(p.get('SubscriptionArn') ?? ''), undefined),
  ListSubscriptionsByTopic: (p, topics, account) => {
    const topic = topics.topic(p.get('TopicArn') ?? '');
    const { items, next } = page(topic.subscriptions, p.get('NextToken'));
    return { Subscriptions: items.map((s) => subscriptionXml(topic.arn, account, s)), NextToken: next };
  },
  Publish: (p, topics) => ({ MessageId: topics.publish(p.get('TopicArn') ?? '', p.get('Message') ?? '', p.get('Subject') ?? undefined) }),
  ListTagsForResource: (p, topics) => ({ Tags: Object.entries(topics.topic(p.get('ResourceArn') ?? '').tags).map(([Key, Value]) => ({ Key, Value })) }),
};

/** The topic a request acts on, for its authorization ('*' for the account-wide lists). */
const resourceOf = (action: string, p: URLSearchParams) =>
  p.get('TopicArn') ?? p.get('ResourceArn') ?? (action === 'Unsubscribe' ? p.get('SubscriptionArn')?.split(':').slice(0, 6).join(':') : undefined) ?? '*';

export interface SnsService extends Service {
  topics(at: { account: string; region: string }): SnsTopics;
  route: PathRoute;
  toJSON(): unknown;
  restore(state: unknown): void;
}

export function createSnsService(ctx: CloudContext): SnsService {
  const stores = new AccountRegionStores<SnsTopics>(
    { account: ctx.accountId, region: ctx.region },
    (k) => new SnsTopics(k.account, k.region, () => ctx.clock.now()),
  );
  const xml = (status: number, body: string): CloudResponse => ({ status, headers: { 'content-type': 'text/xml' }, body });
  const error = (status: number, code: string, message: string) =>
    xml(
      status,
      `<ErrorResponse xmlns="${XMLNS}"><Error><Type>Sender</Type><Code>${escapeXml(code)}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
    );
  const json = (status: number, body: unknown): CloudResponse => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return {
    names: ['sns'],
    throttleCode: 'Throttling',
    error,
    async handle(req: CloudRequest) {
      const p = params(req);
      const action = p.get('Action') ?? '';
      const op = OPERATIONS[action];
      if (!op) return error(400, 'InvalidAction', `The action ${action || '(none)'} is not valid for this web service.`);
      const topics = stores.get(keyOf(req));
      const caller = callerOf(req, ctx.iam);
      if ('roleName' in caller) {
        const resource = resourceOf(action, p);
        const policy = resource !== '*' ? topics.state.topics[resource]?.attributes.Policy : undefined;
        const verdict = await evaluate(ctx.iam!, caller, req.region, [
          { action: `sns:${action}`, resource, context: {}, resourcePolicy: policy ? (JSON.parse(policy) as PolicyDocument) : undefined },
        ]);
        if (!verdict.allowed)
          return error(403, 'AuthorizationError', `User: ${caller.arn} is not authorized to perform: SNS:${action} on resource: ${resource}`);
      }
      const result = render(op(p, topics, req.account));
      if (action !== 'ListTopics' && action !== 'ListSubscriptionsByTopic' && action !== 'GetTopicAttributes' && action !== 'ListTagsForResource')
        ctx.markDirty();
      return xml(
        200,
        `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
      );
    },
    topics: (at) => stores.get(at),
    route: {
      prefix: '/_lifeboat/sns/',
      async handle(req: CloudRequest) {
        if (req.path === '/_lifeboat/sns/messages' && req.method === 'GET') {
          const arn = req.query.get('topicArn') ?? '';
          const topic = stores.find((s) => s.state.topics[arn]);
          return topic ? json(200, topic.messages) : json(404, { message: `no topic ${arn}` });
        }
        if (req.path === '/_lifeboat/sns/confirm' && req.method === 'POST') {
          const body = JSON.parse(req.body.toString('utf8') || '{}') as { topicArn?: string; endpoint?: string };
          const topic = stores.find((s) => (body.topicArn ? s.state.topics[body.topicArn] : undefined));
          const sub = topic?.subscriptions.find((s) => s.endpoint === body.endpoint);
          if (!sub) return json(404, { message: `no subscription of ${body.endpoint ?? '?'} to ${body.topicArn ?? '?'}` });
          sub.confirmed = true;
          ctx.markDirty();
          return json(200, { subscriptionArn: sub.arn });
        }
        return json(404, { message: `no SNS admin route ${req.method} ${req.path}` });
      },
    },
    toJSON: () => ({ version: 1, stores: stores.all().map(({ key, store }) => ({ ...key, state: store.state })) }),
    restore(state: unknown) {
      const saved = state as { stores?: Array<{ account: string; region: string; state: SnsState }> } | undefined;
      for (const s of saved?.stores ?? []) stores.get(s).state = s.state;
    },
  };
}
