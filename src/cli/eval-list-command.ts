import { metricNames, metricRegistry } from '../eval/metric-registry.ts';
import { suiteLoaderNames, suiteLoaders } from '../eval/suite-sources.ts';
import { parseCommandArgs, type Command } from './command.ts';

export const evalListCommand: Command = {
  name: 'eval list',
  summary: 'List the data-set loaders and metrics a suite can use',
  usage: `Usage: unbundle eval list

Lists the loaders "unbundle eval run --suite LOADER:PATH" accepts and the metrics a suite header
can name (docs/eval.md).
`,
  async run(argv, io) {
    parseCommandArgs('eval list', argv, {});
    io.stdout.write('Loaders (--suite LOADER:PATH):\n');
    io.stdout.write(columns(['loader', 'metric', 'reads'], suiteLoaderNames.map((loader) => [loader, suiteLoaders[loader].metric, suiteLoaders[loader].reads])));
    io.stdout.write('\nMetrics (suite header "metrics"):\n');
    io.stdout.write(
      columns(
        ['metric', 'better', 'what it measures'],
        metricNames.map((metric) => [metric, metricRegistry[metric].higherIsBetter ? 'higher' : 'lower', metricRegistry[metric].summary]),
      ),
    );
    return 0;
  },
};

/** Left-aligned columns: these tables are mostly prose. */
function columns(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
