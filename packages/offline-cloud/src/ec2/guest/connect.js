/**
 * What the guest's stand-ins share: their settings (set by their launcher, src/ec2/guest-os.ts) and a
 * request through the instance's network interface that gives up after the connect timeout, as a client
 * on EC2 does when its subnet has no route to the service (the packets are dropped; nothing answers).
 */
'use strict';

const settings = {
  /** <dataDir>/instances/<id>/guest: the guest OS's own state (scheduled shutdown, installed packages). */
  guestDir: process.env.OFFLINE_GUEST_DIR,
  connectTimeoutMs: Number(process.env.OFFLINE_GUEST_CONNECT_TIMEOUT_MS || 60000),
  region: process.env.AWS_REGION || 'us-east-1',
};

class ConnectTimeout extends Error {}

/** Runs `send(abortSignal)`; rejects with ConnectTimeout when nothing answers within the connect timeout. */
async function withConnectTimeout(send) {
  const abort = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, settings.connectTimeoutMs);
  try {
    return await send(abort.signal);
  } catch (err) {
    if (timedOut) throw new ConnectTimeout();
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

module.exports = { settings, ConnectTimeout, withConnectTimeout };
