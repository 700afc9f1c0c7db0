// Top self-time functions of V8 CPU profiles (node --cpu-prof): `npx tsx bench/cpu-profile-summary.ts a.cpuprofile [n]`.
import { readFileSync } from 'node:fs';

// Piped into `head`, the reader may go first: that is not an error.
process.stdout.on('error', () => process.exit(0));
interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}

const [file, top = '20'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file!, 'utf8')) as { nodes: Node[]; samples: number[] };
const total = profile.samples.length;
const byFunction = new Map<string, number>();
for (const node of profile.nodes) {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(src|bench|test)\//, '$1/');
  const name = `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
  byFunction.set(name, (byFunction.get(name) ?? 0) + node.hitCount);
}
const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(top));
for (const [name, hits] of rows) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${name}`);
// The same self time by where the code lives: a package, Atlas's own folders, Node's internals.
const byPlace = new Map<string, number>();
for (const node of profile.nodes) {
  const { url, functionName } = node.callFrame;
  const place = url.includes('node_modules/')
    ? url.replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
    : /\/(src|test|bench)\//.test(url)
      ? url.replace(/^.*\/(src|test|bench)\/([^/]+).*$/, '$1/$2')
      : url.startsWith('node:')
        ? 'node internals'
        : functionName.startsWith('(')
          ? functionName
          : 'native';
  byPlace.set(place, (byPlace.get(place) ?? 0) + node.hitCount);
}
console.log('by place:');
for (const [place, hits] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 14))
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)} %  ${place}`);
