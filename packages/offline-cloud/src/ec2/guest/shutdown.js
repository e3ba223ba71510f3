/**
 * Stand-in for systemd's shutdown on Amazon Linux 2023: `shutdown -h +N`, `shutdown -h now` (also -P, `poweroff`
 * modes, a bare +N) schedule a power-off, `shutdown -c` cancels it. As systemd keeps its schedule in
 * /run/systemd/shutdown/scheduled, this one writes the guest's <guest>/run/shutdown.json; the offline cloud
 * watches that file and, when the time comes, EC2 stops or terminates the instance per its
 * InstanceInitiatedShutdownBehavior (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_ChangingInstanceInitiatedShutdownBehavior.html).
 * Reboot (-r) is not emulated and is refused.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { settings } = require('./connect.js');

const file = path.join(settings.guestDir, 'run', 'shutdown.json');
const args = process.argv.slice(2);

if (args.includes('-c')) {
  fs.rmSync(file, { force: true });
  process.exit(0);
}
if (args.includes('-r') || args.includes('--reboot')) {
  process.stderr.write(`shutdown: the offline cloud's stand-in does not emulate a reboot\n`);
  process.exit(1);
}
const when = args.find((a) => !a.startsWith('-')) ?? '+1'; // systemd's default is one minute from now
let minutes;
if (when === 'now') minutes = 0;
else if (/^\+?\d+$/.test(when)) minutes = Number(when.replace('+', ''));
else {
  process.stderr.write(`Failed to parse time specification: ${when}\n`);
  process.exit(1);
}
const at = Date.now() + minutes * 60_000;
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(`${file}.tmp`, JSON.stringify({ mode: 'poweroff', at }));
fs.renameSync(`${file}.tmp`, file);
if (minutes > 0) {
  process.stderr.write(`Shutdown scheduled for ${new Date(at).toUTCString()}, use 'shutdown -c' to cancel.\n`);
}
