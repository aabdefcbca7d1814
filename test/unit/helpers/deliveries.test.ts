import {
	DELIVERY_LOG_LIMITS,
	acceptDelivery,
	claimDelivery,
	hasDelivery,
	readDeliveryLog,
	releaseDelivery,
	withDelivery,
} from '../../../nodes/Flora/helpers/deliveries';

const HOUR = 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 2, 12);

describe('delivery log', () => {
	it('knows an id once it is added, and forgets it after 24 hours', () => {
		const log = withDelivery({}, 'whd_a', NOW);
		expect(hasDelivery(log, 'whd_a', NOW)).toBe(true);
		expect(hasDelivery(log, 'whd_b', NOW)).toBe(false);
		expect(hasDelivery(log, 'whd_a', NOW + 24 * HOUR)).toBe(true);
		expect(hasDelivery(log, 'whd_a', NOW + 24 * HOUR + 1)).toBe(false);
	});

	it('drops ids older than 24 hours when a new one is added', () => {
		let log = withDelivery({}, 'whd_old', NOW - 25 * HOUR);
		log = withDelivery(log, 'whd_recent', NOW - HOUR);
		log = withDelivery(log, 'whd_new', NOW);
		expect(Object.keys(log)).toEqual(['whd_recent', 'whd_new']);
	});

	it('keeps the newest 1,000 ids, oldest dropped first', () => {
		let log = {};
		for (let i = 0; i < DELIVERY_LOG_LIMITS.maxIds + 5; i++) {
			log = withDelivery(log, `whd_${i}`, NOW - 60_000 + i);
		}
		const ids = Object.keys(log);
		expect(ids).toHaveLength(1000);
		expect(ids[0]).toBe('whd_5');
		expect(ids[ids.length - 1]).toBe('whd_1004');
		expect(hasDelivery(log, 'whd_4', NOW)).toBe(false);
	});

	it('does not change the log it was given (static data is saved when a key is assigned)', () => {
		const before = withDelivery({}, 'whd_a', NOW);
		const copy = { ...before };
		withDelivery(before, 'whd_b', NOW);
		expect(before).toEqual(copy);
	});

	it('reads back only id → time pairs from stored static data', () => {
		expect(readDeliveryLog(undefined)).toEqual({});
		expect(readDeliveryLog(['whd_a'])).toEqual({});
		expect(readDeliveryLog({ whd_a: NOW, whd_b: 'yesterday', whd_c: null })).toEqual({
			whd_a: NOW,
		});
	});
});

describe('deliveries in this process', () => {
	it('lets one request at a time handle a delivery, per trigger', () => {
		expect(claimDelivery('wf1:node1', 'whd_x', NOW)).toBe('claimed');
		expect(claimDelivery('wf1:node1', 'whd_x', NOW)).toBe('inProgress');
		expect(claimDelivery('wf2:node1', 'whd_x', NOW)).toBe('claimed');
		releaseDelivery('wf1:node1', 'whd_x');
		expect(claimDelivery('wf1:node1', 'whd_x', NOW)).toBe('claimed');
		releaseDelivery('wf1:node1', 'whd_x');
		releaseDelivery('wf2:node1', 'whd_x');
	});

	it('answers repeats of an accepted delivery for 24 hours; a release does not undo it', () => {
		expect(claimDelivery('wf1:node1', 'whd_ok', NOW)).toBe('claimed');
		acceptDelivery('wf1:node1', 'whd_ok', NOW);
		releaseDelivery('wf1:node1', 'whd_ok');
		expect(claimDelivery('wf1:node1', 'whd_ok', NOW + 24 * HOUR)).toBe('accepted');
		expect(claimDelivery('wf1:node1', 'whd_ok', NOW + 24 * HOUR + 1)).toBe('claimed');
		releaseDelivery('wf1:node1', 'whd_ok');
	});

	it('takes over a claim left behind for 10 minutes', () => {
		expect(claimDelivery('wf1:node1', 'whd_y', NOW)).toBe('claimed');
		expect(claimDelivery('wf1:node1', 'whd_y', NOW + 10 * 60_000 - 1)).toBe('inProgress');
		expect(claimDelivery('wf1:node1', 'whd_y', NOW + 10 * 60_000)).toBe('claimed');
		releaseDelivery('wf1:node1', 'whd_y');
	});

	it('keeps at most 1,000 deliveries, the oldest forgotten first', () => {
		for (let i = 0; i <= DELIVERY_LOG_LIMITS.maxIds; i++) {
			claimDelivery('wf9:node9', `whd_${i}`, NOW + i);
			acceptDelivery('wf9:node9', `whd_${i}`, NOW + i);
		}
		expect(claimDelivery('wf9:node9', 'whd_1000', NOW + 2000)).toBe('accepted');
		expect(claimDelivery('wf9:node9', 'whd_0', NOW + 2000)).toBe('claimed');
	});
});
