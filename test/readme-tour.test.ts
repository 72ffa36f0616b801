import { describe, expect, it } from 'vitest';
import { lineMatcher, missingLine, sectionShellBlocks, tourSteps } from './readme-tour.js';

describe('README tour parsing', () => {
  const md = ['# T', '## A tour', 'text', '```sh', 'one --a   # comment', '#> printed …', '#> (exit 2)', '# a remark', '', 'two \\', '  --b', '```', '## Next', '```sh', 'three', '```'].join('\n');

  it('takes the shell blocks of the section only, with their line numbers', () => {
    const blocks = sectionShellBlocks(md, '## A tour');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.line).toBe(5);
  });

  it('reads commands, continuation lines, expected output and exit codes', () => {
    const [block] = sectionShellBlocks(md, '## A tour');
    expect(tourSteps(block?.text ?? '', block?.line ?? 0)).toEqual([
      { command: 'one --a   # comment', line: 5, expected: ['printed …'], exitCode: 2 },
      { command: 'two \\\n  --b', line: 10, expected: [], exitCode: 0 },
    ]);
  });

  it('refuses expected output before any command and an unclosed block', () => {
    expect(() => tourSteps('#> x', 3)).toThrow(/README line 3: expected output before any command/);
    expect(() => sectionShellBlocks('## A\n```sh\nx\n', '## A')).toThrow(/not closed/);
    expect(() => sectionShellBlocks('## B', '## A')).toThrow(/no section/);
  });

  it('matches lines with … as any text and loose spaces, in order', () => {
    expect(lineMatcher('ok homes  create …').test('ok homes create create /home/x (0750)')).toBe(true);
    expect(lineMatcher('a (b)').test('a (b) c')).toBe(false);
    expect(missingLine(['x', 'z'], 'x\ny\nz')).toBeNull();
    expect(missingLine(['z', 'x'], 'x\ny\nz')).toBe('x');
    expect(missingLine(['w'], 'x')).toBe('w');
  });
});
