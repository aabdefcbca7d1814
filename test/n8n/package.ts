import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Log } from './install';
import { progress } from './install';
import { cleanEnv, elapsed, runToFiles, tail } from './proc';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface PackedPackage {
	tarball: string;
	name: string;
	version: string;
}

async function npm(args: string[], logFile: string, log: Log, title: string): Promise<string> {
	log(`${title} ...`);
	const stdoutFile = `${logFile}.stdout`;
	const result = await runToFiles('npm', args, {
		cwd: REPO_ROOT,
		env: cleanEnv(),
		stdoutFile,
		stderrFile: logFile,
	});
	if (result.code !== 0) {
		throw new Error(
			`"npm ${args.join(' ')}" failed (exit ${result.code ?? result.signal}).\n${tail(stdoutFile, 30)}\n${tail(logFile, 30)}`,
		);
	}
	log(`${title} done in ${elapsed(result.ms)}`);
	return readFileSync(stdoutFile, 'utf8');
}

/** `npm run build` then `npm pack`: the tarball a user would install from the registry. */
export async function buildAndPack(outDir: string, log: Log = progress): Promise<PackedPackage> {
	mkdirSync(outDir, { recursive: true });
	await npm(['run', 'build'], join(outDir, 'build.log'), log, 'npm run build');
	const out = await npm(
		['pack', '--json', '--pack-destination', outDir],
		join(outDir, 'pack.log'),
		log,
		'npm pack',
	);
	// `npm pack --json` prints a JSON array; lifecycle output, if any, comes before it.
	const json = JSON.parse(out.slice(out.indexOf('['))) as Array<{
		filename: string;
		name: string;
		version: string;
	}>;
	const { filename, name, version } = json[0];
	return { tarball: join(outDir, filename), name, version };
}
