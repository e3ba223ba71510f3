/** The preflight's S3 reachability, path by path, as AWS routes (bin/doctor/s3-path.ts). */
import { egressAllows443, s3PathOf, type EgressFact, type SubnetRouting } from '../../bin/doctor/s3-path';

const HTTPS_OUT: EgressFact[] = [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIps: ['0.0.0.0/0'], prefixListIds: [] }];
const SG = 'sg-workers';

const subnet = (over: Partial<SubnetRouting> = {}): SubnetRouting => ({
  subnetId: 'subnet-a',
  routeTableId: 'rtb-a',
  routes: [{ destinationCidrBlock: '10.0.0.0/16', gatewayId: 'local' }],
  publicIp: false,
  attachedInternetGateways: [],
  s3GatewayEndpoints: [],
  s3InterfaceEndpoints: [],
  natGateways: [],
  ...over,
});

describe('s3PathOf', () => {
  it('reaches S3 through a gateway endpoint on its own route table, and not through one on another table', () => {
    const endpoint = { vpcEndpointId: 'vpce-1', routeTableIds: ['rtb-a'], prefixListId: 'pl-s3' };
    expect(s3PathOf(subnet({ s3GatewayEndpoints: [endpoint] }), HTTPS_OUT, SG)).toEqual({ reachable: true, via: 'S3 gateway endpoint vpce-1 on rtb-a' });
    const elsewhere = s3PathOf(subnet({ s3GatewayEndpoints: [{ ...endpoint, routeTableIds: ['rtb-b'] }] }), HTTPS_OUT, SG);
    expect(elsewhere).toMatchObject({ reachable: false, why: 'rtb-a has no S3 gateway endpoint, no route to a NAT gateway and no internet gateway route' });
    expect(elsewhere.reachable === false && elsewhere.fix).toMatch(/agent\.s3GatewayEndpoint\.routeTableIds/);
  });

  it('does not reach a bucket of another region through an endpoint: it needs a NAT gateway (or a public IP)', () => {
    const endpoint = { vpcEndpointId: 'vpce-1', routeTableIds: ['rtb-a'], prefixListId: 'pl-s3' };
    const viaEndpoints = subnet({ s3GatewayEndpoints: [endpoint], s3InterfaceEndpoints: ['vpce-2'] });
    const path = s3PathOf(viaEndpoints, HTTPS_OUT, SG, 'eu-west-1');
    expect(path).toEqual({
      reachable: false,
      why: 'rtb-a has no route to a NAT gateway and no internet gateway route toward S3 of eu-west-1',
      fix: 'route 0.0.0.0/0 to a NAT gateway: the replica bucket is in eu-west-1, and an S3 endpoint serves only buckets of its own region',
    });
    const nat = subnet({
      s3GatewayEndpoints: [endpoint],
      routes: [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-1' }],
      natGateways: [{ natGatewayId: 'nat-1', usable: true }],
    });
    expect(s3PathOf(nat, HTTPS_OUT, SG, 'eu-west-1')).toEqual({ reachable: true, via: 'NAT gateway nat-1' });
  });

  it('takes egress to the endpoint prefix list alone as enough for the gateway endpoint, and not for the internet', () => {
    const toPrefixList: EgressFact[] = [{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIps: [], prefixListIds: ['pl-s3'] }];
    expect(egressAllows443(toPrefixList, 'pl-s3')).toBe(true);
    expect(egressAllows443(toPrefixList)).toBe(false);
    const viaEndpoint = subnet({ s3GatewayEndpoints: [{ vpcEndpointId: 'vpce-1', routeTableIds: ['rtb-a'], prefixListId: 'pl-s3' }] });
    expect(s3PathOf(viaEndpoint, toPrefixList, SG).reachable).toBe(true);
    const viaIgw = subnet({ publicIp: true, attachedInternetGateways: ['igw-1'], routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }] });
    expect(s3PathOf(viaIgw, toPrefixList, SG)).toMatchObject({ reachable: false, why: expect.stringContaining(`security group ${SG} lets no TCP 443 out`) });
  });

  it('uses an internet gateway only with a public IPv4 address, and only when the gateway is attached', () => {
    const routes = [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-1' }];
    expect(s3PathOf(subnet({ routes, publicIp: true, attachedInternetGateways: ['igw-1'] }), HTTPS_OUT, SG)).toEqual({
      reachable: true,
      via: 'internet gateway igw-1 with a public IPv4 address',
    });
    expect(s3PathOf(subnet({ routes, publicIp: false, attachedInternetGateways: ['igw-1'] }), HTTPS_OUT, SG)).toMatchObject({
      reachable: false,
      why: expect.stringContaining('gets no public IPv4 address'),
    });
    expect(s3PathOf(subnet({ routes, publicIp: true, attachedInternetGateways: [] }), HTTPS_OUT, SG).reachable).toBe(false);
  });

  it('uses a NAT gateway only when it is usable, saying why not', () => {
    const routes = [{ destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-1' }];
    expect(s3PathOf(subnet({ routes, natGateways: [{ natGatewayId: 'nat-1', usable: true }] }), HTTPS_OUT, SG)).toEqual({
      reachable: true,
      via: 'NAT gateway nat-1',
    });
    const pending = s3PathOf(subnet({ routes, natGateways: [{ natGatewayId: 'nat-1', usable: false, why: 'is pending' }] }), HTTPS_OUT, SG);
    expect(pending).toMatchObject({ reachable: false, why: 'rtb-a routes 0.0.0.0/0 to NAT gateway nat-1, which is pending' });
  });

  it('refuses every path when the security group lets no TCP 443 out, naming the group', () => {
    const only22: EgressFact[] = [{ ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIps: ['0.0.0.0/0'], prefixListIds: [] }];
    const out = s3PathOf(subnet({ s3InterfaceEndpoints: ['vpce-if'] }), only22, SG);
    expect(out).toMatchObject({ reachable: false, fix: expect.stringContaining(`allow TCP 443 egress in ${SG}`) });
    expect(s3PathOf(subnet({ s3InterfaceEndpoints: ['vpce-if'] }), [{ ipProtocol: '-1', cidrIps: ['0.0.0.0/0'], prefixListIds: [] }], SG).reachable).toBe(true);
  });
});
