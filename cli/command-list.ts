/*
 * Prints the README's supported-command list from the command table (Markdown), so the list
 * cannot drift from what the server registers: `npx node cli/command-list.ts`. The README test
 * checks the README holds exactly this output between its command-list markers.
 */
import { buildRegistry } from '../src/server.ts';

export function commandListMarkdown(): string {
  const registry = buildRegistry();
  const groups = new Map<string, string[]>();
  for (const cmd of registry.commands) {
    const group = cmd.meta.docs.group;
    const names = cmd.handler === null ? [] : [cmd.name.toUpperCase()];
    for (const sub of cmd.subcommands?.values() ?? []) names.push(`${cmd.name.toUpperCase()} ${sub.name.toUpperCase()}`);
    groups.set(group, [...(groups.get(group) ?? []), ...names]);
  }
  const lines: string[] = [];
  for (const group of [...groups.keys()].sort()) {
    lines.push(`- **${group}**: ${groups.get(group)!.sort().join(', ')}`);
  }
  return lines.join('\n');
}

if (import.meta.main) process.stdout.write(commandListMarkdown() + '\n');
