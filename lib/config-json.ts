/**
 * Duplicate keys in the config's JSON text. JSON.parse keeps the last of two equal keys without a word, so a
 * second "journalHours" or a second "vpgs" silently replaces the first. jsonc-parser's visitor (the scanner VS Code
 * uses) reports every property with its parent's path and its line, which is all this needs.
 */
import { visit } from 'jsonc-parser';
import type { ConfigProblem } from './config';

export function duplicateKeyProblems(text: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  // One map per open object (key → first line), innermost last; arrays open no map of their own.
  const open: Array<Map<string, number>> = [];
  visit(
    text,
    {
      onObjectBegin: () => {
        open.push(new Map());
      },
      onObjectEnd: () => {
        open.pop();
      },
      onObjectProperty: (key, _offset, _length, startLine, _startCharacter, parentPath) => {
        const seen = open[open.length - 1];
        if (!seen) return;
        const line = startLine + 1;
        const first = seen.get(key);
        if (first === undefined) {
          seen.set(key, line);
          return;
        }
        problems.push({
          path: [...parentPath(), key],
          text: `appears twice in one object (line ${first} and line ${line}); JSON.parse would silently keep only the last, so remove one of them`,
        });
      },
    },
    { disallowComments: true },
  );
  return problems;
}
