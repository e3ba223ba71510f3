/** IPv4 CIDR arithmetic for VPCs, subnets and routes. */
import { AwsError } from '../service';

export const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const intToIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export interface Cidr {
  first: number;
  size: number;
  bits: number;
}

export function parseCidr(cidr: string, param = 'CidrBlock'): Cidr {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const bits = m ? Number(m[5]) : NaN;
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || bits > 32) {
    throw new AwsError('InvalidParameterValue', `Value (${cidr}) for parameter ${param} is invalid. This is not a valid CIDR block.`);
  }
  const size = 2 ** (32 - bits);
  const first = Math.floor(ipToInt(`${m[1]}.${m[2]}.${m[3]}.${m[4]}`) / size) * size;
  return { first, size, bits };
}

export const contains = (outer: Cidr, inner: Cidr) => inner.first >= outer.first && inner.first + inner.size <= outer.first + outer.size;
export const overlaps = (a: Cidr, b: Cidr) => a.first < b.first + b.size && b.first < a.first + a.size;
export const cidrHolds = (cidr: string, ip: string) => {
  const c = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= c.first && n < c.first + c.size;
};
