// Tokenizer and chat templates against HF (../shared/models/hf-optimum/golden/tokenizer/hf.json: the slow
// LlamaTokenizer's ids and decodes of 20 edge-case strings, and apply_chat_template's text and ids for five real
// templates), and the A/B / sweep prompt paths encoding templated text without a second BOS.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedAsset } from '../helpers';
import { loadHookedModel, chatIds, type HookedModel } from '../../lib/model/index';
import { prepareAbItems, sweepPromptText } from '../../lib/steering/index';
import { HF_REL } from './_hfoptimum';

const TEMPLATES = ['llama2', 'chatml', 'zephyr', 'llama3', 'gemma'];
const models = new Map<string, Promise<HookedModel>>();
after(async () => { for (const m of models.values()) await (await m).dispose(); });

function model(dir: string): Promise<HookedModel> {
  if (!models.has(dir)) models.set(dir, loadHookedModel(dir, { threads: 1 }));
  return models.get(dir)!;
}

test('tokenizer: ids and decodes of the 20 edge-case strings equal HF', async (t) => {
  const dir = sharedAsset(t, join(HF_REL, 'models', 'llama'));
  const gold = sharedAsset(t, join(HF_REL, 'golden', 'tokenizer', 'hf.json'));
  if (!dir || !gold) return;
  const hf = JSON.parse(readFileSync(gold, 'utf8'));
  const m = await model(dir);
  assert.equal(hf.strings.length, 20);
  for (const s of hf.strings) {
    assert.deepEqual(m.encode(s.text), s.hf_ids, `encode ${JSON.stringify(s.text)}`);
    assert.equal(m.decode(s.hf_ids), s.hf_decode, `decode of ${JSON.stringify(s.text)}`);
  }
});

for (const tpl of TEMPLATES) {
  test(`chat template ${tpl}: rendered text and ids equal HF's apply_chat_template (one BOS at most), and A/B and sweep prompts encode it so`, async (t) => {
    const dir = sharedAsset(t, join(HF_REL, 'models', `llama-chat-${tpl}`));
    const root = sharedAsset(t, join(HF_REL, 'golden', 'tokenizer'));
    if (!dir || !root) return;
    const hf = JSON.parse(readFileSync(join(root, 'hf.json'), 'utf8'));
    const cases = JSON.parse(readFileSync(join(root, 'cases.json'), 'utf8'));
    const m = await model(dir);
    const bos = 1;
    for (const [name, messages] of Object.entries(cases.chats) as [string, { role: string; content: string }[]][]) {
      const want = hf.chat[`${tpl}/${name}`];
      if (!want) continue;
      let text: string | null;
      try {
        text = m.chatPrompt(messages, { addGenerationPrompt: true });
      } catch (err) {
        // A template that refuses a chat (e.g. a system turn it does not support) must refuse it in HF as well.
        assert.ok(want.error, `${tpl}/${name}: transformers.js raised ${(err as Error).message} but HF rendered it`);
        continue;
      }
      assert.equal(text, want.text, `${tpl}/${name} text`);
      const ids = chatIds(m, messages, { addGenerationPrompt: true });
      assert.deepEqual(ids, want.ids, `${tpl}/${name} ids`);
      assert.ok(ids!.filter((x) => x === bos).length <= (tpl === 'llama2' ? messages.filter((x) => x.role === 'user').length : 1), `${tpl}/${name}: no doubled BOS`);
    }
    // The A/B prompt and the sweep prompt are the template's text, encoded the same way.
    const one = cases.chats.one_user as { role: string; content: string }[];
    const [item] = prepareAbItems(m, [{ id: 'q', question: one[0].content, sycophantic: 'A', other: 'B' }], { chat: true });
    const want = hf.chat[`${tpl}/one_user`];
    assert.equal(item.text, want.text + '(');
    assert.deepEqual(item.promptIds, m.encode(want.text + '(', { addSpecialTokens: false }));
    assert.deepEqual(item.promptIds.slice(0, want.ids.length - 1), want.ids.slice(0, -1), 'A/B prompt ids start as HF (no second BOS)');
    assert.equal(sweepPromptText(m, one[0].content, { chat: true }), want.text);
  });
}
