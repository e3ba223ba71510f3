#!/usr/bin/env node
// The `lifeboat` command: runs the TypeScript entry point through tsx, so a checkout needs no build step.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('tsx/cjs');
require('./lifeboat.ts');
