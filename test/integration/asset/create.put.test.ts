import {
	bytes,
	signedCreateParams,
	imageItem,
	requestsTo,
	runFlora,
	sha256,
	simulatorForFile,
} from '../harness/flora';

// No `upload` form in the reservation: only a presigned upload_url, as FLORA's
// SDK handles it (a raw PUT of the bytes).
const sim = simulatorForFile({ signedUploadStyle: 'put' });

describe.each(['default', 'filesystem'] as const)(
	'Upload through upload_url (%s mode)',
	(binaryMode) => {
		it('PUTs the raw bytes with their type and exact length, without Authorization', async () => {
			const file = bytes(200_000, 5);
			const result = await runFlora(sim, {
				parameters: signedCreateParams(),
				items: [imageItem(file, 'put.png')],
				binaryMode,
			});
			expect(result.error).toBeUndefined();
			const [upload] = sim.record.uploads;
			expect(upload).toMatchObject({
				method: 'PUT',
				ok: true,
				size: file.length,
				sha256: sha256(file),
				chunked: false,
			});
			const [request] = requestsTo(sim, 'upload');
			expect(request.hasAuthorization).toBe(false);
			expect(request.headers['content-type']).toBe('image/png');
			expect(request.headers['content-length']).toBe(String(file.length));
			expect(sim.record.violations).toEqual([]);
			expect(result.items[0].json.status).toBe('ready');
		});
	},
);

describe('An upload form with camelCase keys (formFields, fileField)', () => {
	afterEach(() => sim.configure({ signedUploadStyle: 'put', uploadShape: 'snake' }));

	it('is read like the snake_case one', async () => {
		sim.configure({ signedUploadStyle: 'form', uploadShape: 'camel' });
		const file = bytes(10_000, 6);
		const result = await runFlora(sim, {
			parameters: signedCreateParams(),
			items: [imageItem(file)],
		});
		expect(result.error).toBeUndefined();
		const [upload] = sim.record.uploads;
		expect(upload).toMatchObject({
			method: 'POST',
			ok: true,
			sha256: sha256(file),
			fileField: 'file',
		});
		expect(upload.fields.map(([name]) => name)).toContain('token');
		expect(sim.record.violations).toEqual([]);
	});
});
