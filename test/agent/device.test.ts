/** The agent's device folder is an ordinary setting: the Nitro links by default, LIFEBOAT_DEVICE_DIR when an image puts them elsewhere. */
import { devicePathFor } from '../../runtime/agent/device';

test("a volume's device is its Nitro NVMe link in /dev/disk/by-id unless LIFEBOAT_DEVICE_DIR names another folder", () => {
  expect(devicePathFor('vol-0123456789abcdef0', {})).toBe('/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0');
  expect(devicePathFor('vol-0123456789abcdef0', { LIFEBOAT_DEVICE_DIR: '/srv/links' })).toBe('/srv/links/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0');
});
