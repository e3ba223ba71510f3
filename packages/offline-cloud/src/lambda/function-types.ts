/** A deployed function's configuration and a failed invocation's error, as the Lambda runtime (runtime.ts) and Step Functions share them. */
export interface FunctionConfig {
  name: string;
  arn: string;
  /** Folder holding the bundled code (the assembly's asset.<hash>/). */
  codeDir: string;
  /** 'index.handler' style: module path relative to codeDir, then the export name. */
  handler: string;
  timeoutSeconds: number;
  memorySize: number;
  environment: Record<string, string>;
  /** The execution role (AWS::Lambda::Function Role); its credentials are in the sandbox's environment. */
  roleArn?: string;
}

export interface LambdaErrorShape {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** A failed invocation: `name` = errorType, `message` = errorMessage, as the AWS SDK surfaces them. */
export class LambdaInvokeError extends Error {
  constructor(readonly shape: LambdaErrorShape) {
    super(shape.errorMessage);
    this.name = shape.errorType;
  }
  /** The Cause string Step Functions records for a failed Lambda task. */
  toCause(): string {
    return JSON.stringify({ errorMessage: this.shape.errorMessage, errorType: this.shape.errorType, trace: this.shape.trace });
  }
}
