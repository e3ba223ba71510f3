/**
 * SNS through the real SDK: topics (idempotent by name, attributes, pagination), subscriptions pending until
 * confirmed for email, Publish recorded, AWS's NotFound, IAM's AuthorizationError for a role without the action,
 * and an assembly's topic, topic policy and email subscription deployed as CloudFormation would.
 */
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { clientConfig, startTestCloud, TEST_REGION, type TestCloud } from '../src/testing';
import { role, roleCredentials, writeAssembly } from './helpers/iam-assembly';
import { refusal } from './helpers/refusal';

let t: TestCloud | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const post = (url: string, path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body) });

it('keeps topics and subscriptions as SNS does: email pending until confirmed, messages recorded', async () => {
  t = await startTestCloud();
  const sns = new SNSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: 'alerts', Attributes: { DisplayName: 'Alerts' } }));
  expect(TopicArn).toBe(`arn:aws:sns:${TEST_REGION}:000000000000:alerts`);
  expect((await sns.send(new CreateTopicCommand({ Name: 'alerts' }))).TopicArn).toBe(TopicArn);

  const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'email', Endpoint: 'dr@example.com' }));
  expect(sub.SubscriptionArn).toBe('pending confirmation');
  const subscriptions = async () => (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? [];
  expect((await subscriptions()).map((s) => [s.Protocol, s.Endpoint, s.SubscriptionArn])).toEqual([['email', 'dr@example.com', 'PendingConfirmation']]);
  const attrs = async () => (await sns.send(new GetTopicAttributesCommand({ TopicArn }))).Attributes ?? {};
  expect(await attrs()).toMatchObject({ TopicArn, DisplayName: 'Alerts', SubscriptionsConfirmed: '0', SubscriptionsPending: '1' });

  expect((await post(t.url, '/_lifeboat/sns/confirm', { topicArn: TopicArn, endpoint: 'dr@example.com' })).status).toBe(200);
  expect((await subscriptions())[0].SubscriptionArn).toMatch(new RegExp(`^${TopicArn}:[0-9a-f-]{36}$`));
  expect(await attrs()).toMatchObject({ SubscriptionsConfirmed: '1', SubscriptionsPending: '0' });

  const { MessageId } = await sns.send(new PublishCommand({ TopicArn, Subject: 'RPO', Message: 'breached' }));
  const messages = (await (await fetch(`${t.url}/_lifeboat/sns/messages?topicArn=${encodeURIComponent(TopicArn!)}`)).json()) as Array<{
    messageId: string;
    message: string;
  }>;
  expect(messages.map((m) => [m.messageId, m.message])).toEqual([[MessageId, 'breached']]);

  await sns.send(new DeleteTopicCommand({ TopicArn }));
  expect(await refusal(sns.send(new GetTopicAttributesCommand({ TopicArn })))).toMatchObject({ name: 'NotFoundException', status: 404 });
  expect(await refusal(sns.send(new CreateTopicCommand({ Name: 'bad name!' })))).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  sns.destroy();
});

it('lists topics 100 to a page', async () => {
  t = await startTestCloud();
  const sns = new SNSClient(clientConfig(t.url, { maxAttempts: 1 }));
  for (let i = 0; i < 101; i++) await sns.send(new CreateTopicCommand({ Name: `t${String(i).padStart(3, '0')}` }));
  const first = await sns.send(new ListTopicsCommand({}));
  expect(first.Topics).toHaveLength(100);
  const second = await sns.send(new ListTopicsCommand({ NextToken: first.NextToken }));
  expect(second.Topics?.map((x) => x.TopicArn?.split(':').pop())).toEqual(['t100']);
  expect(second.NextToken).toBeUndefined();
  sns.destroy();
});

it("deploys an assembly's topic, policy and email subscription, and refuses a role the action", async () => {
  const assembly = writeAssembly({
    Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'site-alerts', DisplayName: 'Site alerts' } },
    Policy: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [{ Ref: 'Topic' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: { Ref: 'Topic' } }],
        },
      },
    },
    Mail: { Type: 'AWS::SNS::Subscription', Properties: { TopicArn: { Ref: 'Topic' }, Protocol: 'email', Endpoint: 'oncall@example.com' } },
    Reader: role('TopicReader', 'lambda.amazonaws.com', [{ Effect: 'Allow', Action: 'sns:ListSubscriptionsByTopic', Resource: '*' }]),
  });
  t = await startTestCloud({ assemblyDir: assembly });
  const arn = `arn:aws:sns:${TEST_REGION}:000000000000:site-alerts`;
  const admin = new SNSClient(clientConfig(t.url, { maxAttempts: 1 }));
  const attrs = (await admin.send(new GetTopicAttributesCommand({ TopicArn: arn }))).Attributes ?? {};
  expect(attrs).toMatchObject({ DisplayName: 'Site alerts', SubscriptionsPending: '1' });
  expect(JSON.parse(attrs.Policy).Statement[0]).toMatchObject({ Action: 'sns:Publish', Resource: arn });

  const as = async (name: string) => new SNSClient({ endpoint: t!.url, region: TEST_REGION, credentials: await roleCredentials(t!.url, name), maxAttempts: 1 });
  const reader = await as('TopicReader');
  expect((await reader.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).Subscriptions?.map((s) => s.SubscriptionArn)).toEqual([
    'PendingConfirmation',
  ]);
  expect(await refusal(reader.send(new PublishCommand({ TopicArn: arn, Message: 'x' })))).toMatchObject({ name: 'AuthorizationErrorException', status: 403 });
  admin.destroy();
  reader.destroy();
});
