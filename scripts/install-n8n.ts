/**
 * Installs the pinned n8n lines (for e2e, browser, queue, demo and dev) into the cache (or checks they are there):
 *   npm run n8n:install                 every line of FLORA_E2E_LINES (default 2.41.1,1.123.x)
 *   npm run n8n:install -- 2.41.1       just these
 */
import { cacheRoot, ensureN8n, progress } from '../test/n8n/install';
import { resolveLines } from '../test/n8n/lines';

async function main() {
	const spec = process.argv.slice(2).join(',') || undefined;
	const lines = resolveLines(spec);
	progress(`n8n cache: ${cacheRoot()} (override with FLORA_N8N_CACHE)`);
	for (const line of lines) {
		const started = Date.now();
		const n8n = await ensureN8n(line);
		const took = ((Date.now() - started) / 1000).toFixed(1);
		progress(
			`n8n ${line.version} ready on Node ${n8n.nodeVersion} (${took} s this run): ${n8n.root}`,
		);
	}
}

main().catch((error) => {
	process.stderr.write(`\n[flora-e2e] n8n INSTALL FAILED\n${(error as Error).message}\n`);
	process.exit(1);
});
