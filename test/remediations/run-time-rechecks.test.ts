import { expect } from 'chai';
import { loadAllRemediationDocuments } from '../../scripts/lib/remediation-docs';
import { type AutomationDocument, type Step, isApiAction, jumpTarget, parseAutomationDocument, parseBranchInputs } from '../../scripts/lib/ssm/document';
import { scriptApiCalls } from '../../scripts/lib/ssm/script';

/**
 * Issue 9: every step that changes a resource runs only after the document has re-checked, at run time, that the change
 * is still allowed (the exemption tags) - and, for a deletion, that the condemning fact holds. Proven on the control-flow
 * graph: with the gate steps taken out, no path from the first step reaches a mutating step. The behaviour of each
 * gate (a case where it stops the change) is proven in each document's own test file.
 */

const READ_ONLY = /^(Describe|Get|List)/;
/** Notifications tell a person; they change no resource. */
const NOTIFICATION = new Set(['Publish']);

function mutatingSteps(doc: AutomationDocument): string[] {
  return doc.mainSteps
    .filter((s) => {
      if (isApiAction(s.action)) {
        const api = String(s.inputs.Api);
        return !READ_ONLY.test(api) && !NOTIFICATION.has(api);
      }
      if (s.action === 'aws:executeScript' && typeof s.inputs.Script === 'string') {
        return scriptApiCalls(s.inputs.Script).calls.some((c) => !/^(describe|get|list)_/.test(c.method));
      }
      return false;
    })
    .map((s) => s.name);
}

function successors(doc: AutomationDocument, step: Step): string[] {
  const index = doc.mainSteps.indexOf(step);
  const next = doc.mainSteps[index + 1]?.name;
  const out: string[] = [];
  if (step.action === 'aws:branch') {
    const branch = parseBranchInputs(step.inputs, step.name);
    out.push(...branch.choices.map((c) => c.nextStep));
    if (branch.defaultStep !== undefined) out.push(branch.defaultStep);
    else if (!step.isEnd && next) out.push(next);
  } else if (!step.isEnd) out.push(step.nextStep ?? next ?? '');
  const failure = jumpTarget(step.onFailure);
  if (failure) out.push(failure);
  if (step.onFailure.trim() === 'Continue' && !step.isEnd) out.push(step.nextStep ?? next ?? '');
  return out.filter((s) => s !== '');
}

/** Steps reachable from the first one when the `removed` steps do not exist. */
function reachableWithout(doc: AutomationDocument, removed: (name: string) => boolean): Set<string> {
  const byName = new Map(doc.mainSteps.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const queue = [doc.mainSteps[0]?.name ?? ''];
  while (queue.length) {
    const name = queue.shift() as string;
    const step = byName.get(name);
    if (!step || seen.has(name) || removed(name)) continue;
    seen.add(name);
    queue.push(...successors(doc, step));
  }
  return seen;
}

const EXEMPTION_GATE = /^BranchOnExemption\w*$|^BranchOn\w+Decision$/;
const CONDEMNING_FACT = /NotEncryptedAtRest$|^BranchOn\w+(Engine|RedisVersion)$/;
const scriptOf = (s: Step | undefined) => (typeof s?.inputs.Script === 'string' ? s.inputs.Script : undefined);

describe('remediations: run-time re-checks before every change', () => {
  const documents = loadAllRemediationDocuments().map((d) => ({ name: d.name, doc: parseAutomationDocument(d.content, d.name) }));

  it('finds mutating steps in every document but the notification (the checks below are not empty)', () => {
    const without = documents.filter((d) => mutatingSteps(d.doc).length === 0).map((d) => d.name);
    expect(without).to.deep.equal(['HIPAA-NotifyNonCompliantResource']);
  });

  for (const { name, doc } of documents) {
    describe(name, () => {
      it('says in its description what it re-checks at run time', () => {
        expect(doc.description ?? '').to.match(/^## What it re-checks at run time\n(\s*\d+\. .+\n)+/m);
      });

      const mutating = mutatingSteps(doc);
      if (mutating.length === 0) return;

      it(`reaches no mutating step (${mutating.join(', ')}) without passing an exemption re-check`, () => {
        // Arrange: the graph is connected as written (the test would be blind otherwise)
        const all = reachableWithout(doc, () => false);
        expect(mutating.filter((m) => !all.has(m))).to.deep.equal([]);
        // Act
        const ungated = reachableWithout(doc, (n) => EXEMPTION_GATE.test(n));
        // Assert
        expect(mutating.filter((m) => ungated.has(m))).to.deep.equal([]);
      });

      if (mutating.some((m) => m.startsWith('Delete'))) {
        it('reaches no Delete step without re-reading the condemning fact', () => {
          const ungated = reachableWithout(doc, (n) => CONDEMNING_FACT.test(n));
          expect(mutating.filter((m) => m.startsWith('Delete') && ungated.has(m))).to.deep.equal([]);
        });
      }
    });
  }

  it('uses one exemption function: every CheckExemption step in every document carries the same script', () => {
    const scripts = documents.flatMap(({ name, doc }) => doc.mainSteps.filter((s) => s.name.startsWith('CheckExemption')).map((s) => ({ at: `${name}/${s.name}`, script: scriptOf(s) })));
    expect(scripts.map((s) => s.at)).to.have.length.at.least(7);
    expect(new Set(scripts.map((s) => s.script)).size).to.equal(1);
    expect(scripts[0]?.script).to.contain("EXEMPT = 'hipaa-safeguards:exempt'");
  });
});
