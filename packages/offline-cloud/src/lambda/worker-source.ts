/**
 * The JavaScript a Lambda worker child process runs (`node -e WORKER_SOURCE <codeDir> <handler>`).
 * Kept as a string so it works the same from ts-jest, tsx or a bundle: no file path to resolve.
 * It loads the bundled handler once, before it reports ready (Lambda's Init phase), and answers
 * invocations over IPC; several may be in flight at once. A handler error comes back in Lambda's error shape {errorType, errorMessage, trace}.
 */
export const WORKER_SOURCE = String.raw`
// the clock preload has read its anchor file: the function's environment is Lambda's, not the emulator's
delete process.env.LIFEBOAT_CLOCK_FILE;
const path = require('node:path');
const [codeDir, handlerSpec] = process.argv.slice(1);
const dot = handlerSpec.lastIndexOf('.');
const modulePath = path.resolve(codeDir, handlerSpec.slice(0, dot));
const exportName = handlerSpec.slice(dot + 1);
let handlerFn;
function loadHandler() {
  if (!handlerFn) {
    const mod = require(modulePath);
    handlerFn = mod[exportName];
    if (typeof handlerFn !== 'function') {
      const err = new Error(modulePath + ' does not export ' + exportName);
      err.name = 'Runtime.HandlerNotFound';
      throw err;
    }
  }
  return handlerFn;
}
function errorShape(err) {
  if (err instanceof Error) {
    return { errorType: err.name || 'Error', errorMessage: err.message, trace: String(err.stack || '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof err === 'string' ? err : JSON.stringify(err), trace: [] };
}
process.on('message', async (msg) => {
  if (!msg || msg.type !== 'invoke') return;
  const deadline = Date.now() + msg.timeoutMs;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    invokedFunctionArn: msg.functionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: msg.requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  // Lambda writes these around every invocation's own lines in the function's log; END comes after all of them, so
  // the runtime knows the invocation's stdout has arrived when it sees it
  const end = (message) => process.stdout.write('END RequestId: ' + msg.requestId + '\n', () => process.send(message));
  process.stdout.write('START RequestId: ' + msg.requestId + ' Version: $LATEST\n');
  try {
    const fn = loadHandler();
    const result = await (fn.length >= 3
      ? new Promise((resolve, reject) => {
          const maybe = fn(msg.payload, context, (err, value) => (err ? reject(err) : resolve(value)));
          if (maybe && typeof maybe.then === 'function') maybe.then(resolve, reject);
        })
      : fn(msg.payload, context));
    end({ type: 'result', id: msg.id, ok: true, payload: result === undefined ? null : result });
  } catch (err) {
    end({ type: 'result', id: msg.id, ok: false, error: errorShape(err) });
  }
});
// Lambda's Init phase: the handler's module loads before the first invocation, outside its timeout
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html); a load error fails each invocation.
try {
  loadHandler();
} catch {
  // thrown again, in Lambda's error shape, by the invocation that calls loadHandler()
}
process.send({ type: 'ready' });
`;
