/**
 * CloudFormation's name limits for the resource types the offline cloud deploys: what a stack whose
 * resource breaks one ends with (the resource CREATE_FAILED with this status reason, the stack rolled
 * back). Pure.
 *
 * Length and pattern limits are those of each type's CloudFormation resource schema (the registry schemas
 * cfn-lint 1.51 bundles; https://docs.aws.amazon.com/cloudformation-cli/latest/userguide/resource-type-schema.html):
 *   AWS::StepFunctions::StateMachine StateMachineName 1-80; AWS::Lambda::Function FunctionName 1-64;
 *   AWS::IAM::Role RoleName 1-64, ^[\w+=,.@-]+$; AWS::Logs::LogGroup LogGroupName ^[.\-_/#A-Za-z0-9]{1,512}$;
 *   AWS::S3::Bucket BucketName max 63, ^([a-z0-9][a-z0-9.-]*[a-z0-9])?$.
 * CloudFormation refuses a schema violation before calling the service, with
 * "Properties validation failed for resource ID with message: #/Prop: expected maxLength: N, actual: M"
 * (or "failed validation constraint for keyword [pattern]"). The rules a schema does not hold are the
 * service's own, reported as "Resource handler returned message: ...":
 * - Step Functions names must not contain white space, brackets, wildcards, " # % \ ^ | ~ ` $ & , ; : / or
 *   control characters (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html, "General quotas");
 * - Lambda function names are [a-zA-Z0-9-_]+ (https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html);
 * - S3 general purpose bucket names: 3-63 characters, no two adjacent periods, not an IP address, not
 *   starting xn-- / sthree- / amzn-s3-demo-, not ending -s3alias / --ol-s3 / .mrap / --x-s3 / --table-s3
 *   (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
 */

interface Rule {
  property: string;
  min?: number;
  max: number;
  pattern?: RegExp;
  /** The service's own check: a reason when the name is refused. */
  service?: (name: string) => string | undefined;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what this pattern looks for
const SFN_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

const handler = (message: string, service: string, code: string): string =>
  `Resource handler returned message: "${message} (Service: ${service}; Status Code: 400; Error Code: ${code}; Request ID: offline; Proxy: null)" (RequestToken: offline, HandlerErrorCode: InvalidRequest)`;

export const NAME_RULES: Record<string, Rule> = {
  'AWS::StepFunctions::StateMachine': {
    property: 'StateMachineName',
    min: 1,
    max: 80,
    service: (n) => (SFN_FORBIDDEN.test(n) ? handler(`Invalid State Machine Name: '${n}'`, 'AWSStepFunctions', 'InvalidName') : undefined),
  },
  'AWS::Lambda::Function': {
    property: 'FunctionName',
    min: 1,
    max: 64,
    service: (n) =>
      /^[a-zA-Z0-9_-]+$/.test(n)
        ? undefined
        : handler(
            `1 validation error detected: Value '${n}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+`,
            'Lambda',
            'ValidationException',
          ),
  },
  'AWS::IAM::Role': { property: 'RoleName', min: 1, max: 64, pattern: /^[\w+=,.@-]+$/ },
  'AWS::Logs::LogGroup': { property: 'LogGroupName', min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]{1,512}$/ },
  'AWS::S3::Bucket': { property: 'BucketName', max: 63, pattern: /^([a-z0-9][a-z0-9.-]*[a-z0-9])?$/, service: bucketServiceRule },
};

function bucketServiceRule(n: string): string | undefined {
  const bad =
    n.length < 3 ||
    n.includes('..') ||
    /^\d+\.\d+\.\d+\.\d+$/.test(n) ||
    /^(xn--|sthree-|amzn-s3-demo-)/.test(n) ||
    /(-s3alias|--ol-s3|\.mrap|--x-s3|--table-s3)$/.test(n);
  return bad ? handler('The specified bucket is not valid.', 'S3', 'InvalidBucketName') : undefined;
}

/** The status reason CloudFormation gives a resource whose name breaks its limits; undefined = allowed. */
export function nameViolation(logicalId: string, type: string, props: Record<string, unknown>): string | undefined {
  const rule = NAME_RULES[type];
  const name = rule ? props[rule.property] : undefined;
  if (!rule || typeof name !== 'string') return undefined; // absent: CloudFormation generates a valid one
  const schema = (detail: string) => `Properties validation failed for resource ${logicalId} with message: #/${rule.property}: ${detail}`;
  if (name.length > rule.max) return schema(`expected maxLength: ${rule.max}, actual: ${name.length}`);
  if (rule.min !== undefined && name.length < rule.min) return schema(`expected minLength: ${rule.min}, actual: ${name.length}`);
  if (rule.pattern && !rule.pattern.test(name)) return schema('failed validation constraint for keyword [pattern]');
  return rule.service?.(name);
}
