import { pollDelayMs, runFailureHint } from '../../../nodes/Flora/helpers/runs';

describe('Polling a run', () => {
	it('starts at 2 s and backs off to 5 s, never beyond', () => {
		expect(Array.from({ length: 8 }, (_, i) => pollDelayMs(i))).toEqual([
			2000, 3000, 4000, 5000, 5000, 5000, 5000, 5000,
		]);
	});
});

describe('What to do about a failed run', () => {
	it.each([
		['GENERATION_PROMPT_MODERATED', /Change the prompt or the input/],
		['BILLING_NOT_ENOUGH_CREDITS', /Top up credits/],
		['GENERATION_PROVIDER_TIMEOUT', /Try again later/],
		['GPU_PROVIDER_ERROR', /Try again later/],
		['GENERATION_CANCELLED', /Run it again/],
		[undefined, /FLORA gave no more detail/],
		['SOMETHING_NEW', /FLORA gave no more detail/],
	])('%s', (code, hint) => {
		expect(runFailureHint(code)).toMatch(hint);
	});
});
