/**
 * One account's SNS topics in one region, and their subscriptions, as SNS keeps them
 * (https://docs.aws.amazon.com/sns/latest/api/API_Operations.html). A subscription whose protocol needs a
 * confirmation (email, email-json, http, https) stays pending until ConfirmSubscription with its token; the others
 * are confirmed at once (https://docs.aws.amazon.com/sns/latest/dg/sns-create-subscribe-endpoint-to-topic.html).
 * Messages are recorded, not delivered. Pure state.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from '../service';

export interface SubscriptionRecord {
  arn: string;
  protocol: string;
  endpoint: string;
  confirmed: boolean;
  token: string;
}

export interface TopicRecord {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  subscriptions: SubscriptionRecord[];
  messages: Array<{ messageId: string; subject?: string; message: string; at: string }>;
}

export interface SnsState {
  topics: Record<string, TopicRecord>;
}

const CONFIRMED_BY_TOKEN = new Set(['email', 'email-json', 'http', 'https']);
const PROTOCOLS = new Set(['email', 'email-json', 'http', 'https', 'sqs', 'lambda', 'sms', 'application', 'firehose']);
/** https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html: 1-256 of letters, digits, '-' and '_'. */
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;

export const notFound = (what = 'Topic does not exist') => new AwsError('NotFound', what, 404);
const invalid = (message: string) => new AwsError('InvalidParameter', `Invalid parameter: ${message}`);

export class SnsTopics {
  state: SnsState = { topics: {} };

  constructor(
    private readonly account: string,
    private readonly region: string,
    private readonly now: () => number,
  ) {}

  topic(arn: string | undefined): TopicRecord {
    const t = arn ? this.state.topics[arn] : undefined;
    if (!t) throw notFound();
    return t;
  }

  arnOf(name: string): string {
    return `arn:aws:sns:${this.region}:${this.account}:${name}`;
  }

  /** Idempotent by name: the same name answers the existing topic's ARN. */
  create(name: string, attributes: Record<string, string>, tags: Record<string, string>): TopicRecord {
    if (!TOPIC_NAME.test(name)) throw invalid('Topic Name');
    const arn = this.arnOf(name);
    const existing = this.state.topics[arn];
    if (existing) return existing;
    const topic: TopicRecord = { arn, name, attributes: { ...attributes }, tags: { ...tags }, subscriptions: [], messages: [] };
    this.state.topics[arn] = topic;
    return topic;
  }

  delete(arn: string): void {
    delete this.state.topics[arn];
  }

  list(): TopicRecord[] {
    return Object.values(this.state.topics).sort((a, b) => a.arn.localeCompare(b.arn));
  }

  subscribe(topicArn: string, protocol: string, endpoint: string): SubscriptionRecord {
    const topic = this.topic(topicArn);
    if (!PROTOCOLS.has(protocol)) throw invalid(`Invalid protocol type: ${protocol}`);
    if (!endpoint) throw invalid('Endpoint');
    const same = topic.subscriptions.find((s) => s.protocol === protocol && s.endpoint === endpoint);
    if (same) return same;
    const sub: SubscriptionRecord = {
      arn: `${topicArn}:${randomUUID()}`,
      protocol,
      endpoint,
      confirmed: !CONFIRMED_BY_TOKEN.has(protocol),
      token: randomUUID().replace(/-/g, ''),
    };
    topic.subscriptions.push(sub);
    return sub;
  }

  confirm(topicArn: string, token: string): SubscriptionRecord {
    const sub = this.topic(topicArn).subscriptions.find((s) => s.token === token);
    if (!sub) throw invalid('Token');
    sub.confirmed = true;
    return sub;
  }

  unsubscribe(subscriptionArn: string): void {
    for (const t of Object.values(this.state.topics)) t.subscriptions = t.subscriptions.filter((s) => s.arn !== subscriptionArn);
  }

  publish(topicArn: string, message: string, subject?: string): string {
    if (!message) throw invalid('Empty message');
    const messageId = randomUUID();
    this.topic(topicArn).messages.push({ messageId, subject, message, at: new Date(this.now()).toISOString() });
    return messageId;
  }
}
