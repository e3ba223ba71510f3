/**
 * The one IPv4 rule for private IPs, shared by the config (`vpgs[].recovery.privateIps`) and the failback request
 * (`target.privateIps`): four decimal octets 0-255, no leading zeros. EC2 refuses "999.999.999.999" and "1.2.3";
 * a leading zero ("01.2.3.4") is read as octal by some parsers (inet_aton) and as decimal by others, so it is refused
 * rather than guessed at.
 */

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';

export const IPV4_PATTERN = new RegExp(`^${OCTET}(?:\\.${OCTET}){3}$`);

export const IPV4_RULE = 'an IPv4 address: four numbers 0-255 without leading zeros, such as "10.0.1.20"';

export function isIpv4(value: unknown): value is string {
  return typeof value === 'string' && IPV4_PATTERN.test(value);
}
