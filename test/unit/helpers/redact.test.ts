import { redactSecrets } from '../../../nodes/Flora/helpers/redact';

describe('redactSecrets', () => {
	it('removes the known key wherever it appears', () => {
		expect(redactSecrets('key=abcd1234 and again abcd1234', ['abcd1234'])).toBe(
			'key=[redacted] and again [redacted]',
		);
	});

	it('removes bearer tokens and FLORA-shaped keys even when not told about them', () => {
		expect(redactSecrets('Authorization: Bearer xyz.abc-123')).toBe(
			'Authorization: Bearer [redacted]',
		);
		expect(redactSecrets('used sk_live_9f8e7d')).toBe('used [redacted]');
	});

	it('leaves other text alone', () => {
		expect(redactSecrets('Asset asset_123 is ready', ['sk_live_x'])).toBe(
			'Asset asset_123 is ready',
		);
	});
});
