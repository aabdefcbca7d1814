/**
 * The benchmark's simulator, in its own process so its CPU and memory never count
 * against the client being measured. Prints one JSON line with its addresses, then
 * serves until stdin closes (the parent exiting ends it too).
 */
import { startSimulator } from '../simulator';

async function main(): Promise<void> {
	// Asset URLs on the simulator's own file origin, so Asset → Download can fetch them.
	const sim = await startSimulator({ quiet: true, assetUrlStyle: 'cdn' });
	process.stdout.write(
		`${JSON.stringify({
			apiBaseUrl: sim.apiBaseUrl,
			apiOrigin: sim.apiOrigin,
			uploadUrl: sim.uploadUrl,
			apiKey: sim.apiKey,
			pid: process.pid,
		})}\n`,
	);
	const stop = () => {
		void sim.close().then(() => process.exit(0));
	};
	process.stdin.on('end', stop);
	process.stdin.on('close', stop);
	process.stdin.resume();
	process.on('SIGTERM', stop);
}

void main();
