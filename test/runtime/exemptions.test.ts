import { expect } from 'chai';
import { EXEMPT_TAG, EXEMPT_UNTIL_TAG, checkExemption, exemptionEnd } from '../../rules/runtime/exemptions';

const NOW = new Date('2026-11-22T12:00:00Z');
const res = (tags: Record<string, string>) => ({ id: 'phi-stream', resourceType: 'AWS::Kinesis::Stream', tags });

describe('runtime/exemptions', () => {
  it('is not exempt without the tag', () => {
    expect(checkExemption(res({ Owner: 'x' }), [], NOW)).to.deep.equal({ kind: 'none' });
  });

  it('exempts a tagged resource and names the reason', () => {
    expect(checkExemption(res({ [EXEMPT_TAG]: 'CHG-1' }), [], NOW)).to.deep.equal({
      kind: 'exempt',
      note: 'is exempt by tag hipaa-safeguards:exempt (CHG-1)',
      userTexts: ['CHG-1'],
    });
  });

  it('says when no reason was given', () => {
    expect(checkExemption(res({ [EXEMPT_TAG]: '' }), [], NOW)).to.deep.include({ note: 'is exempt by tag hipaa-safeguards:exempt (no reason given)' });
  });

  it('keeps a future exemption and says until when', () => {
    expect(checkExemption(res({ [EXEMPT_TAG]: 'CHG-2', [EXEMPT_UNTIL_TAG]: '2026-12-01' }), [], NOW)).to.deep.equal({
      kind: 'exempt',
      note: 'is exempt by tag hipaa-safeguards:exempt (CHG-2) until 2026-12-01',
      userTexts: ['CHG-2', '2026-12-01'],
    });
  });

  it('lets an expired exemption lapse and says so', () => {
    expect(checkExemption(res({ [EXEMPT_TAG]: 'CHG-3', [EXEMPT_UNTIL_TAG]: '2026-11-21' }), [], NOW)).to.deep.equal({
      kind: 'lapsed',
      note: 'Exemption (CHG-3) expired 2026-11-21.',
      userTexts: ['CHG-3', '2026-11-21'],
    });
  });

  it('counts a bare date as the whole day (UTC)', () => {
    const tags = { [EXEMPT_TAG]: 'CHG-4', [EXEMPT_UNTIL_TAG]: '2026-11-22' };
    expect(checkExemption(res(tags), [], new Date('2026-11-22T23:59:59Z')).kind).to.equal('exempt');
    expect(checkExemption(res(tags), [], new Date('2026-11-23T00:00:00Z')).kind).to.equal('lapsed');
  });

  it('honours a full timestamp to the second', () => {
    const tags = { [EXEMPT_TAG]: 'CHG-5', [EXEMPT_UNTIL_TAG]: '2026-11-22T11:00:00Z' };
    expect(checkExemption(res(tags), [], NOW).kind).to.equal('lapsed');
  });

  for (const bad of ['soon', '2026-13-01', '2026-02-30', '22/11/2026']) {
    it(`ignores the exemption when exempt-until is not an ISO date (${bad})`, () => {
      expect(checkExemption(res({ [EXEMPT_TAG]: 'CHG-6', [EXEMPT_UNTIL_TAG]: bad }), [], NOW)).to.deep.equal({
        kind: 'lapsed',
        note: `Exemption ignored: hipaa-safeguards:exempt-until ${JSON.stringify(bad)} is not an ISO 8601 date.`,
        userTexts: [JSON.stringify(bad)],
      });
      expect(exemptionEnd(bad)).to.equal(undefined);
    });
  }

  it('ignores exempt-until without the exempt tag', () => {
    expect(checkExemption(res({ [EXEMPT_UNTIL_TAG]: '2099-01-01' }), [], NOW).kind).to.equal('none');
  });

  it('exempts the IDs listed in the exemptResourceIds parameter', () => {
    expect(checkExemption(res({}), ['other', 'phi-stream'], NOW)).to.deep.equal({
      kind: 'exempt',
      note: 'is exempt by rule parameter exemptResourceIds',
      userTexts: [],
    });
  });
});
