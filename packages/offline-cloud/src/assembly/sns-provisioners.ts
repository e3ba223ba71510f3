/**
 * SNS resources of an assembly, created through the offline SNS as CloudFormation creates them
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html): a topic
 * (Ref: its ARN; GetAtt TopicArn, TopicName), a topic policy (the Policy attribute of each topic it names), a
 * subscription (Ref: its ARN; an email one stays pending until confirmed, as SNS sends the mail).
 */
import { CreateTopicCommand, SetTopicAttributesCommand, SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import { generatedName } from './provisioners';

type Props = Record<string, unknown>;
export interface SnsResult {
  physicalId: string;
  attributes: Record<string, unknown>;
}

const tagMap = (tags: unknown) => (Array.isArray(tags) ? (tags as Array<{ Key: string; Value: string }>) : []);

export async function provisionSns(type: string, logicalId: string, stackName: string, props: Props, sns: SNSClient): Promise<SnsResult | undefined> {
  switch (type) {
    case 'AWS::SNS::Topic': {
      const name = (props.TopicName as string) ?? generatedName(stackName, logicalId, 256);
      const attributes: Record<string, string> = {};
      if (props.DisplayName) attributes.DisplayName = String(props.DisplayName);
      if (props.KmsMasterKeyId) attributes.KmsMasterKeyId = String(props.KmsMasterKeyId);
      const out = await sns.send(new CreateTopicCommand({ Name: name, Attributes: attributes, Tags: tagMap(props.Tags) }));
      return { physicalId: out.TopicArn!, attributes: { TopicArn: out.TopicArn, TopicName: name } };
    }
    case 'AWS::SNS::TopicPolicy': {
      const policy = JSON.stringify(props.PolicyDocument ?? {});
      for (const topicArn of (props.Topics as string[] | undefined) ?? []) {
        await sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: policy }));
      }
      return { physicalId: `${stackName}-${logicalId}`, attributes: {} };
    }
    case 'AWS::SNS::Subscription': {
      const out = await sns.send(
        new SubscribeCommand({
          TopicArn: String(props.TopicArn),
          Protocol: String(props.Protocol),
          Endpoint: String(props.Endpoint ?? ''),
          ReturnSubscriptionArn: true,
        }),
      );
      return { physicalId: out.SubscriptionArn!, attributes: {} };
    }
    default:
      return undefined;
  }
}
