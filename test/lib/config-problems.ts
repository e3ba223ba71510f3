/** The problem lines of a config parseConfig refuses, for the config tests (fails the test if it is valid). */
import { ConfigError, parseConfig } from '../../lib/config';

export function problems(json: unknown): string[] {
  try {
    parseConfig(json, 'site.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message.split('\n');
  }
  throw new Error('expected the config to be rejected');
}
