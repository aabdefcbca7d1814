import { readUploadForm } from '../../../nodes/Flora/transport/upload';

describe('Reading the upload form of a reservation', () => {
	const expires_at = '2026-11-27T13:00:00.000Z';

	it('takes snake_case fields in their order', () => {
		const form = readUploadForm({
			upload: {
				url: 'https://upload.imagekit.io/api/v1/files/upload',
				method: 'POST',
				file_field: 'file',
				form_fields: { token: 't', signature: 's', expire: '1', fileName: 'a.png' },
			},
			upload_url: 'https://upload.imagekit.io/api/v1/files/upload',
			expires_at,
		});
		expect(form).toEqual({
			url: 'https://upload.imagekit.io/api/v1/files/upload',
			method: 'POST',
			fileField: 'file',
			fields: [
				['token', 't'],
				['signature', 's'],
				['expire', '1'],
				['fileName', 'a.png'],
			],
			expiresAt: Date.parse(expires_at),
		});
	});

	it('takes the camelCase names of the docs example', () => {
		const form = readUploadForm({
			upload: { url: 'https://u.example/up', fileField: 'upload', formFields: { a: '1', b: 2 } },
		});
		expect(form).toMatchObject({
			fileField: 'upload',
			fields: [
				['a', '1'],
				['b', '2'],
			],
			method: 'POST',
		});
		expect(form?.expiresAt).toBeUndefined();
	});

	it('falls back to a PUT to upload_url when there is no form, as FLORA’s SDK does', () => {
		expect(readUploadForm({ upload_url: 'https://u.example/put/abc?sig=1', expires_at })).toEqual({
			url: 'https://u.example/put/abc?sig=1',
			method: 'PUT',
			fileField: 'file',
			fields: [],
			expiresAt: Date.parse(expires_at),
		});
	});

	it('gives nothing when the reservation has neither', () => {
		expect(readUploadForm({ asset_id: 'asset_1' })).toBeUndefined();
	});
});
