/**
 * The folder the e2e tier's globalSetup prepared for this run (n8n installed, the package packed).
 * Every e2e file starts its n8n homes under it.
 */
export function runDir(): string {
	const dir = process.env.FLORA_E2E_RUN_DIR;
	if (!dir || !process.env.FLORA_E2E_TARBALL) {
		throw new Error(
			'FLORA_E2E_RUN_DIR/FLORA_E2E_TARBALL are not set: run through the e2e jest project (npm run test:e2e), whose globalSetup installs n8n and packs the package',
		);
	}
	return dir;
}
