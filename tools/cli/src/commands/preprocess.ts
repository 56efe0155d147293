import type { Command } from './registry';

export const preprocessCommand: Command = {
  summary: 'Tile and normalize an image.',
  async run() {
    process.stderr.write('internvl preprocess: not built yet (issue #3)\n');
    return 1;
  },
};
