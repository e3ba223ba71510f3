// The failback importer loop's history budget: its share, and waits that grow past it so it cannot reach 25,000 events.
import {
  EVENTS_PER_IMPORTER_POLL,
  EVENTS_PER_ZSAT_ITERATION,
  HISTORY_EVENT_QUOTA,
  RESERVED_EVENTS,
  importerPollBudget,
  importerWaitSeconds,
} from '../../runtime/core/sync/history-budget';

describe('importerPollBudget', () => {
  it.each([1, 4, 40])('keeps %i importers inside the quota with the reserved events', (count) => {
    const used = count * (importerPollBudget(count) * EVENTS_PER_IMPORTER_POLL + EVENTS_PER_ZSAT_ITERATION) + RESERVED_EVENTS;
    expect(used).toBeLessThanOrEqual(HISTORY_EVENT_QUOTA);
  });

  it('gives one importer about 2,200 polls and shrinks with the count', () => {
    expect(importerPollBudget(1)).toBe(2220);
    expect(importerPollBudget(10)).toBeLessThan(importerPollBudget(2));
  });
});

describe('importerWaitSeconds', () => {
  it('keeps the ordinary wait within the budget', () => {
    expect(importerWaitSeconds(60, 0, 100)).toBe(60);
    expect(importerWaitSeconds(60, 99, 100)).toBe(60);
  });

  it('doubles each wait past the budget', () => {
    expect(importerWaitSeconds(60, 100, 100)).toBe(120);
    expect(importerWaitSeconds(60, 101, 100)).toBe(240);
  });

  it('leaves only a few extra polls before a 105-hour execution timeout', () => {
    let elapsed = 0;
    let polls = 100;
    while (elapsed < 105 * 3600) elapsed += importerWaitSeconds(60, polls++, 100);
    expect(polls - 100).toBeLessThanOrEqual(13);
  });

  it('never asks for a wait longer than one year', () => {
    expect(importerWaitSeconds(120, 10_000, 100)).toBe(365 * 24 * 3600);
  });
});
