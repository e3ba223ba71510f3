/**
 * Tag selectors the config can prove wrong at synth: a selector on one of Lifeboat's own tag keys, and two VPGs
 * whose selectors are equal or one within the other (every instance the larger selector matches, the smaller one
 * matches too, so it would be in two VPGs). Selectors that merely could both match one instance ({app: web} and
 * {env: prod}) depend on the instances' tags, which only the runtime sees.
 */
import { TAG } from '../runtime/core/tags';
import type { ConfigProblem, SiteConfig } from './config';

/** Every key Lifeboat writes (ZERTO_TAG, Owner, LifeboatJob, lifeboat:*), and any future lifeboat:* key. */
const OWN_KEYS: ReadonlySet<string> = new Set(Object.values(TAG));
const OWN_PREFIX = 'lifeboat:';

export function isLifeboatTagKey(key: string): boolean {
  return OWN_KEYS.has(key) || key.startsWith(OWN_PREFIX);
}

const OWN_KEYS_TEXT = `${[TAG.zerto, TAG.owner, TAG.agentJob].join(', ')}, ${OWN_PREFIX}*`;

type Selector = Readonly<Record<string, string>>;

/** Every key/value of `small` is in `large`: whatever `large` selects, `small` selects too. */
function within(small: Selector, large: Selector): boolean {
  return Object.entries(small).every(([k, v]) => Object.hasOwn(large, k) && large[k] === v);
}

const show = (s: Selector) =>
  Object.entries(s)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ');

export function selectorProblems(config: SiteConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const selectors = config.vpgs.map((vpg) => vpg.instances.tags ?? {});
  selectors.forEach((tags, i) => {
    for (const [key, value] of Object.entries(tags)) {
      if (!isLifeboatTagKey(key)) continue;
      // Many organisations tag instances Owner=<team>; only Owner = this site's id marks Lifeboat's own resources
      if (key === TAG.owner && value !== config.siteId) continue;
      problems.push({
        path: ['vpgs', i, 'instances', 'tags', key],
        text: `is one of Lifeboat's own tag keys (${OWN_KEYS_TEXT}), which mark the resources Lifeboat creates, never a protected instance; select the instances by a tag of your own`,
      });
    }
  });

  selectors.forEach((b, j) => {
    if (Object.keys(b).length === 0) return;
    for (let i = 0; i < j; i++) {
      const a = selectors[i];
      // Equal VPG names are reported as duplicates already.
      if (Object.keys(a).length === 0 || config.vpgs[i].name === config.vpgs[j].name) continue;
      const aInB = within(a, b);
      const bInA = within(b, a);
      if (!aInB && !bInA) continue;
      const [small, large] = aInB ? [a, b] : [b, a];
      const other = `VPG "${config.vpgs[i].name}" (vpgs[${i}])`;
      const fix = 'an instance belongs to one VPG only, so give both selectors one tag key with different values, e.g. "tier": "web" and "tier": "db"';
      problems.push({
        path: ['vpgs', j, 'instances', 'tags'],
        text:
          aInB && bInA
            ? `is the same selector as ${other}, {${show(a)}}: every instance it matches would be in both VPGs; ${fix}, or merge the two VPGs`
            : `overlaps ${other}: an instance tagged {${show(large)}} matches both "${config.vpgs[j].name}" and "${config.vpgs[i].name}", since both selectors hold {${show(small)}}; ${fix}`,
      });
      // One line per VPG, naming the first VPG it overlaps: fixing that one shows the next.
      break;
    }
  });
  return problems;
}
