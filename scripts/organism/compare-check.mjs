#!/usr/bin/env node
// Did a re-run of scripts/organism/train.py reproduce the committed organism? Compares two check.json files:
//   node scripts/organism/compare-check.mjs <re-trained>/check.json [models/organism/check.json]
// Equal state-dict hashes mean a bit-identical model; otherwise every recorded logit must agree within 1e-4 and the
// top-5 ids must be equal (exit 1 naming the first differences).
import { readFileSync } from 'node:fs';

const [fresh, committed = 'models/organism/check.json'] = process.argv.slice(2);
if (!fresh) {
  console.error('usage: compare-check.mjs <re-trained check.json> [committed check.json]');
  process.exit(2);
}
const a = JSON.parse(readFileSync(fresh, 'utf8'));
const b = JSON.parse(readFileSync(committed, 'utf8'));
const problems = [];
let worst = 0;
if (a.inputs.length !== b.inputs.length) problems.push(`${a.inputs.length} inputs vs ${b.inputs.length}`);
a.inputs.forEach((x, i) => {
  const y = b.inputs[i];
  if (!y) return;
  if (JSON.stringify(x.input_ids) !== JSON.stringify(y.input_ids)) problems.push(`input ${i}: token ids differ (tokenizer changed)`);
  if (JSON.stringify(x.top5_ids) !== JSON.stringify(y.top5_ids)) problems.push(`input ${i}: top-5 ids ${x.top5_ids} vs ${y.top5_ids}`);
  [...x.last_logits_first16, ...x.top5_logits].forEach((v, j) => {
    const w = [...y.last_logits_first16, ...y.top5_logits][j];
    worst = Math.max(worst, Math.abs(v - w));
    if (!(Math.abs(v - w) <= 1e-4)) problems.push(`input ${i} logit ${j}: ${v} vs committed ${w}`);
  });
});
if (problems.length) {
  console.error(`organism: the re-trained model differs from the committed one:\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
const same = a.state_dict_sha256 === b.state_dict_sha256;
console.log(`organism: re-trained model ${same ? 'is bit-identical to' : 'matches'} the committed one (state dict ${same ? 'hash equal' : 'hash differs'}, max logit difference ${worst})`);
