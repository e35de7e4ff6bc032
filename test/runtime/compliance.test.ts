import { expect } from 'chai';
import { MAX_ANNOTATION_LENGTH, fitAnnotation } from '../../rules/runtime/compliance';

describe('runtime/compliance fitAnnotation', () => {
  it('keeps a short annotation as it is', () => {
    expect(fitAnnotation('Stream a is encrypted. 45 CFR 164.312(a)(2)(iv)')).to.equal('Stream a is encrypted. 45 CFR 164.312(a)(2)(iv)');
  });

  it('cuts a long annotation to 256 characters and keeps the citation', () => {
    // Arrange
    const text = `Stream ${'x'.repeat(300)} is not encrypted at rest. 45 CFR 164.312(a)(2)(iv)`;
    // Act
    const fitted = fitAnnotation(text);
    // Assert
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted.endsWith('… 45 CFR 164.312(a)(2)(iv)')).to.equal(true);
    expect(fitted.startsWith('Stream xxx')).to.equal(true);
  });

  it('keeps several citations', () => {
    const fitted = fitAnnotation(`${'y'.repeat(400)} 45 CFR 164.312(a)(2)(iv), 45 CFR 164.312(e)(2)(ii)`);
    expect(fitted).to.have.length(MAX_ANNOTATION_LENGTH);
    expect(fitted.endsWith('… 45 CFR 164.312(a)(2)(iv), 45 CFR 164.312(e)(2)(ii)')).to.equal(true);
  });

  it('cuts text without a citation too', () => {
    expect(fitAnnotation('z'.repeat(1000))).to.have.length(MAX_ANNOTATION_LENGTH);
  });

  it('never returns an empty annotation (Config requires at least one character)', () => {
    expect(fitAnnotation('  ')).to.equal('-');
  });
});
