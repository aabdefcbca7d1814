import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { progress } from '../n8n/install';

interface Timing {
	line: string;
	scenario: string;
	ms: number;
	ok: boolean;
}

/** Prints the time of every scenario per n8n line, and removes the run's folder unless something failed. */
export default async function globalTeardown(): Promise<void> {
	const runDir = process.env.FLORA_E2E_RUN_DIR;
	if (!runDir || !existsSync(runDir)) return;
	const file = join(runDir, 'timings.jsonl');
	const timings: Timing[] = existsSync(file)
		? readFileSync(file, 'utf8')
				.split('\n')
				.filter(Boolean)
				.map((l) => JSON.parse(l) as Timing)
		: [];
	if (timings.length) {
		const lines = [...new Set(timings.map((t) => t.line))];
		const rows = [...new Set(timings.map((t) => t.scenario))];
		const width = Math.max(...rows.map((r) => r.length));
		const out = [
			`${'scenario time (s)'.padEnd(width)}  ${lines.map((l) => l.padStart(9)).join('  ')}`,
		];
		for (const row of rows) {
			const cells = lines.map((line) => {
				const t = timings.find((x) => x.line === line && x.scenario === row);
				return (t ? `${(t.ms / 1000).toFixed(1)}${t.ok ? '' : '!'}` : '-').padStart(9);
			});
			out.push(`${row.padEnd(width)}  ${cells.join('  ')}`);
		}
		const legend = timings.some((t) => !t.ok) ? "('!' = failed)\n" : '';
		process.stderr.write(`\n${out.join('\n')}\n${legend}`);
	}
	const failed = timings.some((t) => !t.ok) || existsSync(join(runDir, 'FAILED'));
	if (failed || process.env.FLORA_E2E_KEEP === '1') {
		progress(`n8n logs and user folders kept in ${runDir}`);
	} else {
		rmSync(runDir, { recursive: true, force: true });
	}
}
